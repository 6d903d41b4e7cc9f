import { createHash } from 'node:crypto'

/** A Lua script with its SHA1, for `EVALSHA` with a fallback to `EVAL` on `NOSCRIPT`. */
export interface LuaScript {
  /** A short name for error messages. */
  readonly name: string
  readonly source: string
  /** Lowercase hex SHA1 of `source`, as Redis computes it. */
  readonly sha1: string
}

export function defineScript(name: string, source: string): LuaScript {
  return Object.freeze({ name, source, sha1: createHash('sha1').update(source).digest('hex') })
}
