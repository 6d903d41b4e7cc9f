// What workers log, shared by the worker and the checker. Numbers keep the
// batches sent over IPC small.

/** Read and write methods, by their number in the logs. */
export const methods = ['get', 'getOrSet', 'peek', 'set']
export const GET = 0
export const GET_OR_SET = 1
export const PEEK = 2
export const SET = 3

/** Logged as the counter of a read that found nothing. */
export const MISS = -1
/** Logged as the counter of a value that is not one the writers wrote. */
export const INVALID = -2
