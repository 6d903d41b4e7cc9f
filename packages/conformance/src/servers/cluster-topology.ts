/** One line of `CLUSTER NODES`. @internal */
export interface ClusterNodeLine {
  readonly id: string
  readonly host: string
  readonly port: number
  readonly flags: readonly string[]
  /** The master's id for a replica, else `undefined`. */
  readonly masterId: string | undefined
  readonly connected: boolean
  /** Slot ranges served, as `[first, last]`. */
  readonly slots: readonly (readonly [number, number])[]
}

/** Parses `CLUSTER NODES` (`<id> <ip:port@cport[,hostname]> <flags> <master> ... <link-state> <slots>...`). */
export function parseClusterNodes(text: string): ClusterNodeLine[] {
  const nodes: ClusterNodeLine[] = []
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ')
    const [id, address, flags, master, , , , link, ...slotFields] = fields
    if (id === undefined || address === undefined || flags === undefined || link === undefined) {
      continue
    }
    const hostPort = address.split('@')[0] ?? ''
    const separator = hostPort.lastIndexOf(':')
    const slots: [number, number][] = []
    for (const field of slotFields) {
      // Slots being migrated look like [1234->-id]; test clusters never migrate.
      if (field.startsWith('[')) continue
      const [first, last] = field.split('-')
      slots.push([Number(first), Number(last ?? first)])
    }
    nodes.push({
      id,
      host: hostPort.slice(0, separator),
      port: Number(hostPort.slice(separator + 1)),
      flags: flags.split(','),
      masterId: master === '-' ? undefined : master,
      connected: link === 'connected',
      slots,
    })
  }
  return nodes
}

/** The `[first, last]` slot range of master `index` of `masters`, split evenly. */
export function slotRange(index: number, masters: number): [number, number] {
  return [Math.floor((index * 16_384) / masters), Math.floor(((index + 1) * 16_384) / masters) - 1]
}

export function servedSlots(nodes: readonly ClusterNodeLine[]): number {
  let count = 0
  for (const node of nodes) {
    for (const [first, last] of node.slots) count += last - first + 1
  }
  return count
}

export function isFailed(node: ClusterNodeLine): boolean {
  return node.flags.includes('fail') || node.flags.includes('fail?')
}
