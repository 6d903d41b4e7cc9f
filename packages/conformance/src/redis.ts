export const REDIS_PLACEHOLDER = true
