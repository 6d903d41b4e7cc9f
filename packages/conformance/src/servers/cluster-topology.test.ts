import { describe, expect, it } from 'vitest'
import { isFailed, parseClusterNodes, servedSlots, slotRange } from './cluster-topology.js'

const nodes = [
  'a1 127.0.0.1:20001@30001 myself,master - 0 0 1 connected 0-5460',
  'b2 127.0.0.1:20002@30002,host-b master,fail - 0 0 2 disconnected 5461-10922 [10923->-c3]',
  'c3 127.0.0.1:20003@30003 slave a1 0 0 1 connected',
  'd4 127.0.0.1:20004@30004 master - 0 0 4 connected 10923 10924-16383',
  '',
].join('\n')

describe('parseClusterNodes', () => {
  it('reads ids, addresses, flags, masters, links and slot ranges', () => {
    const [first, second, third, fourth] = parseClusterNodes(nodes)
    expect(first).toEqual({
      id: 'a1',
      host: '127.0.0.1',
      port: 20001,
      flags: ['myself', 'master'],
      masterId: undefined,
      connected: true,
      slots: [[0, 5460]],
    })
    expect(second?.port).toBe(20002)
    expect(second?.slots, 'migrating slots are left out').toEqual([[5461, 10922]])
    expect(second && isFailed(second)).toBe(true)
    expect(third?.masterId).toBe('a1')
    expect(fourth?.slots).toEqual([
      [10923, 10923],
      [10924, 16383],
    ])
  })

  it('counts served slots, and splits 16384 slots evenly', () => {
    expect(servedSlots(parseClusterNodes(nodes))).toBe(16_384)
    expect([0, 1, 2].map((index) => slotRange(index, 3))).toEqual([
      [0, 5460],
      [5461, 10921],
      [10922, 16383],
    ])
  })
})
