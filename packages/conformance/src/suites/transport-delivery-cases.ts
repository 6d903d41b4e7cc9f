import { describe, expect, it } from 'vitest'
import { clauseTitle, transportClauses } from './clauses.js'
import { frame, type Peer, type TransportFixture } from './transport-fixture.js'

const title = (id: keyof typeof transportClauses) => clauseTitle(transportClauses, id)

const fenceTag = 0xfe

/**
 * Publishes a fence from `publisher` and waits until every peer heard it:
 * frames of one publisher arrive in order, so everything it sent earlier has
 * arrived too. This replaces "wait a bit and check nothing else came".
 */
export async function fence(
  fixture: TransportFixture,
  publisher: Peer,
  peers: readonly Peer[],
  clause: string,
): Promise<void> {
  const marker = frame(fenceTag, new TextEncoder().encode(`${Math.random()}`))
  await publisher.transport.publish(marker)
  const heard = (peer: Peer) =>
    peer.frames.some((bytes) => Buffer.from(bytes).equals(Buffer.from(marker)))
  await fixture
    .waitFor(() => peers.every(heard), `${clause}: a marker frame to reach every subscriber`)
    .catch(() => {
      const deaf = peers.flatMap((peer, index) => (heard(peer) ? [] : [index]))
      const publisherDeaf = deaf.some((index) => peers[index] === publisher)
      throw new Error(
        `${clause}: a frame did not reach ${deaf.length} of ${peers.length} subscribers within ${fixture.timeout}ms${publisherDeaf ? ' (the publisher itself among them: a transport delivers to its own subscription too)' : ''}`,
      )
    })
}

const same = (left: Uint8Array | undefined, right: Uint8Array) =>
  left !== undefined && Buffer.from(left).equals(Buffer.from(right))

export function contractCases(fixture: TransportFixture): void {
  describe('contract', () => {
    it(title('T1'), async () => {
      const { transport } = await fixture.create()
      expect(transport.specificationVersion, 'T1: specificationVersion').toBe('v1')
      expect(
        typeof transport.kind === 'string' && transport.kind !== '',
        'T1: kind is a non-empty string',
      ).toBe(true)
    })

    it(title('T2'), async () => {
      const peer = await fixture.connect()
      await fixture.waitFor(() => peer.statuses.length > 0, 'T2: a status after connect', 1_000)
      expect(peer.statuses[0]?.state, 'T2: the first status reported is up').toBe('up')
    })
  })
}

export function deliveryCases(fixture: TransportFixture): void {
  describe('delivery', () => {
    it(title('T3'), async () => {
      const peers = [await fixture.connect(), await fixture.connect(), await fixture.connect()]
      for (const [index, peer] of peers.entries()) await peer.transport.publish(frame(index + 1))
      for (const peer of peers) await fence(fixture, peer, peers, 'T3')
      for (const [receiver, peer] of peers.entries()) {
        for (const tag of [1, 2, 3]) {
          const who = tag - 1 === receiver ? 'its own frame' : `the frame of peer ${tag - 1}`
          expect(peer.tagged(tag).length, `T3: peer ${receiver} received ${who} exactly once`).toBe(
            1,
          )
        }
      }
    })

    it(title('T4'), async () => {
      const [first, second] = [await fixture.connect(), await fixture.connect()]
      const elsewhere = await fixture.connect(`${fixture.channel()}-other`)
      await first.transport.publish(frame(7))
      await fence(fixture, first, [first, second], 'T4')
      await fence(fixture, elsewhere, [elsewhere], 'T4')
      expect(elsewhere.tagged(7), 'T4: nothing crosses to another channel').toEqual([])
      expect(second.tagged(7).length, 'T4: the subscriber of the channel got it').toBe(1)
    })
  })
}

export function bytesCases(fixture: TransportFixture, maxFrameBytes: number): void {
  describe('bytes', () => {
    it(title('T5'), async () => {
      const [publisher, receiver] = [await fixture.connect(), await fixture.connect()]
      const frames = [
        frame(
          1,
          Uint8Array.from({ length: 256 }, (_, index) => index),
        ),
        frame(
          2,
          Uint8Array.from({ length: 256 }, (_, index) => 255 - index),
        ),
        frame(3, new Uint8Array(1_000)),
        frame(4, Uint8Array.of(0x00, 0x0d, 0x0a, 0x24, 0x2a, 0xc3, 0x28, 0xff, 0xfe)),
        Uint8Array.of(0),
        Uint8Array.of(0xff),
      ]
      for (const bytes of frames) await publisher.transport.publish(bytes)
      await fence(fixture, publisher, [receiver], 'T5')
      const received = receiver.frames.filter((bytes) => bytes[0] !== fenceTag)
      expect(received.length, 'T5: every frame arrived once').toBe(frames.length)
      for (const [index, bytes] of frames.entries()) {
        expect(
          received[index] instanceof Uint8Array,
          `T5: frame ${index} arrives as a Uint8Array`,
        ).toBe(true)
        expect(same(received[index], bytes), `T5: frame ${index} arrives byte for byte`).toBe(true)
      }
    })

    it(title('T6'), async () => {
      const [publisher, receiver] = [await fixture.connect(), await fixture.connect()]
      const sizes = [2, 255, 256, 4_096, 65_535, 65_536, 65_537, 262_144, maxFrameBytes].filter(
        (size) => size <= maxFrameBytes,
      )
      const frames = [...new Set(sizes)].map((size) => {
        const bytes = new Uint8Array(size)
        for (let index = 1; index < size; index++) bytes[index] = (index * 7 + size) & 0xff
        bytes[0] = 9
        return bytes
      })
      for (const bytes of frames) await publisher.transport.publish(bytes)
      await fixture.waitFor(
        () => receiver.tagged(9).length >= frames.length,
        `T6: ${frames.length} frames up to ${maxFrameBytes} bytes to arrive`,
      )
      for (const [index, bytes] of frames.entries()) {
        const arrived = receiver.tagged(9)[index]
        expect(arrived?.length, `T6: a frame of ${bytes.length} bytes keeps its size`).toBe(
          bytes.length,
        )
        expect(same(arrived, bytes), `T6: a frame of ${bytes.length} bytes arrives whole`).toBe(
          true,
        )
      }
    })
  })
}

export function orderCases(fixture: TransportFixture): void {
  describe('order', () => {
    it(title('T7'), async () => {
      const peers = [await fixture.connect(), await fixture.connect(), await fixture.connect()]
      const publisher = peers[0]!
      const count = 1_000
      const sends: Promise<void>[] = []
      for (let index = 0; index < count; index++) {
        const body = new Uint8Array(4)
        new DataView(body.buffer).setUint32(0, index)
        // Not awaited one by one: order must hold for frames in flight together.
        sends.push(publisher.transport.publish(frame(5, body)))
      }
      await Promise.all(sends)
      await fixture.waitFor(
        () => peers.every((peer) => peer.tagged(5).length >= count),
        `T7: ${count} frames to reach every subscriber`,
      )
      for (const [receiver, peer] of peers.entries()) {
        const order = peer
          .tagged(5)
          .map((bytes) => new DataView(bytes.buffer, bytes.byteOffset + 1, 4).getUint32(0))
        const firstOutOfOrder = order.findIndex((value, index) => value !== index)
        expect(firstOutOfOrder, `T7: peer ${receiver} got the frames in publish order`).toBe(-1)
        expect(order.length, `T7: peer ${receiver} got each frame once`).toBe(count)
      }
    })
  })
}
