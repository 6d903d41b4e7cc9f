import { connect, type Socket } from 'node:net'

/** A decoded RESP2 reply. Errors come back as rejected promises, never as values. */
export type RespValue = string | number | null | Buffer | RespValue[]

/** Where a Redis server listens and how to log in to it. */
export interface RedisAddress {
  readonly host: string
  readonly port: number
  readonly username?: string
  readonly password?: string
}

/** An error reply of the server (`-ERR ...`). */
export class RedisReplyError extends Error {
  override readonly name = 'RedisReplyError'
}

type Argument = string | number | Uint8Array

function encodeCommand(args: readonly Argument[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const argument of args) {
    const bytes =
      argument instanceof Uint8Array ? Buffer.from(argument) : Buffer.from(String(argument))
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

const incomplete = Symbol('incomplete')
type Parsed = { value: RespValue | RedisReplyError; end: number }

/** Parses one reply at `start`, or returns `incomplete` when more bytes are needed. */
function parseReply(buffer: Buffer, start: number): Parsed | typeof incomplete {
  const lineEnd = buffer.indexOf('\r\n', start)
  if (lineEnd === -1) return incomplete
  const type = String.fromCharCode(buffer[start] ?? 0)
  const line = buffer.toString('utf8', start + 1, lineEnd)
  const next = lineEnd + 2
  switch (type) {
    case '+':
      return { value: line, end: next }
    case '-':
      return { value: new RedisReplyError(line), end: next }
    case ':':
      return { value: Number(line), end: next }
    case '$': {
      const length = Number(line)
      if (length < 0) return { value: null, end: next }
      if (buffer.length < next + length + 2) return incomplete
      return { value: buffer.subarray(next, next + length), end: next + length + 2 }
    }
    case '*': {
      const count = Number(line)
      if (count < 0) return { value: null, end: next }
      const items: RespValue[] = []
      let position = next
      for (let index = 0; index < count; index++) {
        const item = parseReply(buffer, position)
        if (item === incomplete) return incomplete
        // An error nested in an array (EXEC) is kept as its message: nothing here needs more.
        items.push(item.value instanceof RedisReplyError ? item.value.message : item.value)
        position = item.end
      }
      return { value: items, end: position }
    }
    default:
      throw new RedisReplyError(`Unexpected RESP type byte ${JSON.stringify(type)}`)
  }
}

/** Callbacks of a connection that subscribes. */
export interface RespHandlers {
  /** A pub/sub message (`message`, `smessage`, `pmessage`), which answers no command. */
  onPush?(message: RespValue[]): void
  /** The connection is gone, whoever closed it. Called once. */
  onClose?(error: Error): void
}

const pushKinds = new Set(['message', 'smessage', 'pmessage'])

interface Pending {
  resolve(value: RespValue): void
  reject(error: Error): void
}

/**
 * A minimal RESP2 connection, enough for test servers' admin commands (PING,
 * INFO, CLIENT KILL, CLUSTER ...). Replies are matched to commands in order.
 */
export class RespConnection {
  private buffer: Buffer = Buffer.alloc(0)
  private readonly pending: Pending[] = []
  private failure: Error | undefined

  private constructor(
    private readonly socket: Socket,
    private readonly handlers: RespHandlers,
  ) {
    socket.on('data', (chunk) => this.receive(chunk))
    socket.on('error', (error) => this.fail(error))
    socket.on('close', () => this.fail(new Error('Connection closed')))
  }

  /** Connects (and authenticates when the address says so) within `timeout` ms. */
  static async open(
    address: RedisAddress,
    timeout = 2_000,
    handlers: RespHandlers = {},
  ): Promise<RespConnection> {
    const socket = connect({ host: address.host, port: address.port })
    socket.setNoDelay(true)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`Connecting to ${address.host}:${address.port} timed out`))
      }, timeout)
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
      socket.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
    const connection = new RespConnection(socket, handlers)
    if (address.password !== undefined) {
      const credentials =
        address.username === undefined ? [address.password] : [address.username, address.password]
      try {
        await connection.command(['AUTH', ...credentials], timeout)
      } catch (error) {
        connection.close()
        throw error
      }
    }
    return connection
  }

  /** Sends one command; rejects on an error reply, a lost connection or after `timeout` ms. */
  command(args: readonly Argument[], timeout = 2_000): Promise<RespValue> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise<RespValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The reply may still come; the connection cannot match later replies any more.
        const error = new Error(`Redis command ${String(args[0])} timed out after ${timeout}ms`)
        this.fail(error)
      }, timeout)
      this.pending.push({
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      this.socket.write(encodeCommand(args))
    })
  }

  close(): void {
    this.fail(new Error('Connection closed'))
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    let position = 0
    while (position < this.buffer.length) {
      let parsed: Parsed | typeof incomplete
      try {
        parsed = parseReply(this.buffer, position)
      } catch (error) {
        this.fail(error as Error)
        return
      }
      if (parsed === incomplete) break
      position = parsed.end
      const value = parsed.value
      if (Array.isArray(value) && this.handlers.onPush !== undefined && isPush(value)) {
        this.handlers.onPush(value)
        continue
      }
      const waiter = this.pending.shift()
      if (parsed.value instanceof RedisReplyError) waiter?.reject(parsed.value)
      else waiter?.resolve(parsed.value)
    }
    this.buffer = this.buffer.subarray(position)
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.socket.destroy()
    this.handlers.onClose?.(error)
    for (const waiter of this.pending.splice(0)) waiter.reject(error)
  }
}

function isPush(value: RespValue[]): boolean {
  const kind = value[0]
  return (Buffer.isBuffer(kind) || typeof kind === 'string') && pushKinds.has(kind.toString())
}

/** Opens a connection, sends one command, closes. For admin commands that must not share a socket. */
export async function redisCommand(
  address: RedisAddress,
  args: readonly Argument[],
  timeout = 2_000,
): Promise<RespValue> {
  const connection = await RespConnection.open(address, timeout)
  try {
    return await connection.command(args, timeout)
  } finally {
    connection.close()
  }
}

/** Whether the server answers PING with PONG right now (within `timeout` ms). */
export async function answersPing(address: RedisAddress, timeout = 500): Promise<boolean> {
  try {
    return (await redisCommand(address, ['PING'], timeout)) === 'PONG'
  } catch {
    return false
  }
}

/** A bulk or simple string reply as text. */
export function replyText(value: RespValue): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  if (typeof value === 'string') return value
  return String(value)
}

/** Parses `INFO`'s `field:value` lines. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const separator = line.indexOf(':')
    if (separator > 0 && !line.startsWith('#')) {
      fields.set(line.slice(0, separator), line.slice(separator + 1))
    }
  }
  return fields
}
