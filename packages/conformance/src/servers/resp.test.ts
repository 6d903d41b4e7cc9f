import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { parseInfo, RedisReplyError, RespConnection } from './resp.js'

// A fake server that answers every command with scripted bytes, split into
// single-byte writes to prove the parser waits for whole replies.
let server: Server | undefined
const sockets: Socket[] = []

async function scripted(replies: string[]): Promise<{ host: string; port: number }> {
  server = createServer((socket) => {
    sockets.push(socket)
    socket.on('data', () => {
      const reply = replies.shift() ?? ''
      for (const byte of Buffer.from(reply, 'binary')) socket.write(Buffer.of(byte))
    })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { host: '127.0.0.1', port: typeof address === 'object' && address ? address.port : 0 }
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

describe('RespConnection', () => {
  it('parses every RESP2 reply type, however the bytes are split', async () => {
    const address = await scripted([
      '+OK\r\n',
      ':-42\r\n',
      '$5\r\nhe\r\no\r\n',
      '$-1\r\n',
      '*3\r\n$1\r\na\r\n*1\r\n:1\r\n*-1\r\n',
      '-ERR wrong\r\n',
    ])
    const connection = await RespConnection.open(address)
    expect(await connection.command(['A'])).toBe('OK')
    expect(await connection.command(['B'])).toBe(-42)
    expect((await connection.command(['C'])) as Buffer).toEqual(Buffer.from('he\r\no'))
    expect(await connection.command(['D'])).toBeNull()
    expect(await connection.command(['E'])).toEqual([Buffer.from('a'), [1], null])
    await expect(connection.command(['F'])).rejects.toBeInstanceOf(RedisReplyError)
    connection.close()
  })

  it('times out a command that gets no answer, and routes pub/sub messages to onPush', async () => {
    const address = await scripted([
      '*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n',
    ])
    const pushed: unknown[] = []
    const connection = await RespConnection.open(address, 1_000, {
      onPush: (message) => pushed.push(message),
    })
    expect(await connection.command(['SUBSCRIBE', 'c'])).toEqual([
      Buffer.from('subscribe'),
      Buffer.from('c'),
      1,
    ])
    await expect.poll(() => pushed.length).toBe(1)
    await expect(connection.command(['PING'], 50)).rejects.toThrow(/timed out/)
  })
})

describe('parseInfo', () => {
  it('reads field:value lines and skips section headers', () => {
    const info = parseInfo('# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n')
    expect(info.get('role')).toBe('slave')
    expect(info.get('master_link_status')).toBe('up')
    expect(info.has('# Replication')).toBe(false)
  })
})
