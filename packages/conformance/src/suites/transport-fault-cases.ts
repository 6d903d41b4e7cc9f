import { describe, expect, it } from 'vitest'
import { delay, pollUntil } from '../poll.js'
import { clauseTitle, transportClauses } from './clauses.js'
import { ResourceTracker } from './resource-tracker.js'
import { fence } from './transport-delivery-cases.js'
import { frame, type TransportFaults, type TransportFixture } from './transport-fixture.js'

const title = (id: keyof typeof transportClauses) => clauseTitle(transportClauses, id)

/** How long a publish may take to settle while the connection is cut. */
const promptly = 1_000

function requireFaults(
  faults: TransportFaults | undefined,
  skip: (note: string) => void,
): TransportFaults {
  if (faults === undefined) skip('needs options.faults ({ cut, restore }) to cut the connection')
  return faults!
}

export function faultCases(fixture: TransportFixture, faults: TransportFaults | undefined): void {
  describe('faults', () => {
    it(title('T8'), async (context) => {
      const { cut, restore } = requireFaults(faults, (note) => context.skip(note))
      const [victim, other] = [await fixture.connect(), await fixture.connect()]
      await fixture.waitFor(() => victim.statuses.at(-1)?.state === 'up', 'T8: up before the cut')
      const before = victim.statuses.length
      await cut(victim.transport)
      const downAt = await fixture.waitFor(() => {
        const index = victim.statuses.findIndex(
          (status, at) => at >= before && status.state === 'down',
        )
        return index === -1 ? undefined : index
      }, 'T8: status down after the cut')
      const down = victim.statuses[downAt]
      expect(
        down?.state === 'down' && typeof down.reason === 'string' && down.reason !== '',
        'T8: down carries a reason',
      ).toBe(true)
      await restore(victim.transport)
      await fixture.waitFor(
        () => victim.statuses.slice(downAt + 1).some((status) => status.state === 'up'),
        'T8: status up again after the restore',
      )
      // After "up", a frame sent now must arrive: "up" means subscribed, not merely connected.
      await other.transport.publish(frame(3))
      await fixture.waitFor(() => victim.tagged(3).length > 0, 'T8: delivery resumes after up')
    })

    it(title('T9'), async (context) => {
      const { cut, restore } = requireFaults(faults, (note) => context.skip(note))
      const victim = await fixture.connect()
      await cut(victim.transport)
      const started = Date.now()
      const outcome = await Promise.race([
        victim.transport.publish(frame(4)).then(
          () => 'resolved',
          () => 'rejected',
        ),
        delay(promptly).then(() => 'pending'),
      ])
      expect(
        outcome,
        `T9: publish settles within ${promptly}ms while cut (never queues without bound)`,
      ).not.toBe('pending')
      expect(Date.now() - started).toBeLessThanOrEqual(promptly + 50)
      await restore(victim.transport)
    })
  })
}

export function closeCases(fixture: TransportFixture): void {
  describe('close', () => {
    it(title('T10'), async () => {
      const [closing, other] = [await fixture.connect(), await fixture.connect()]
      await fence(fixture, other, [closing, other], 'T10')
      await closing.transport.close()
      closing.closed = true
      const heard = closing.frames.length
      await other.transport.publish(frame(6))
      await fence(fixture, other, [other], 'T10')
      expect(closing.frames.length, 'T10: a closed transport delivers nothing more').toBe(heard)
      const publishing = closing.transport.publish(frame(6)).then(
        () => 'resolved',
        () => 'rejected',
      )
      expect(
        await Promise.race([publishing, delay(promptly).then(() => 'pending')]),
        'T10: publish after close rejects',
      ).toBe('rejected')
    })

    it(title('T11'), async () => {
      const tracker = new ResourceTracker()
      try {
        const created = [await fixture.createUntracked(), await fixture.createUntracked()]
        try {
          const frames: Uint8Array[] = []
          const channel = `${fixture.channel()}-release`
          for (const { transport } of created) {
            await transport.connect(channel, {
              onFrame: (bytes) => frames.push(bytes),
              onStatus: () => {},
            })
          }
          await created[0]!.transport.publish(frame(8))
          await fixture.waitFor(() => frames.length >= 2, 'T11: a frame through both transports')
        } finally {
          for (const { transport, dispose } of created) {
            await transport.close()
            await dispose?.()
          }
        }
        tracker.stopRecording()
        // Sockets close on a later turn; give them a bounded while.
        const leftovers = await pollUntil(() => tracker.keepingAlive().length === 0 && [], {
          timeout: 2_000,
          interval: 20,
          description: 'T11: every socket and timer of the transports to be released',
        }).catch(() => tracker.keepingAlive())
        expect(
          leftovers,
          'T11: close and dispose leave no socket or timer keeping the process alive',
        ).toEqual([])
      } finally {
        tracker.dispose()
      }
    })
  })
}
