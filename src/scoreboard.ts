// The scoreboard (unicorn's shared-memory heartbeat, Apache httpd's scoreboard): one writable memfd the supervisor
// owns, a slot of 16 float64s per worker. A worker writes its own slot from its event loop (a heartbeat timer, and
// counters per request); the supervisor reads every slot without a round trip, so a worker stuck in a loop is seen
// by the age of its heartbeat. It is not a dataset: never sealed, and the workers of every generation share it.
import { native } from './native';

/** Slots on the board: enough for two generations of the most workers `prefork scale` allows. */
export const BOARD_SLOTS = 2048;
export const SLOT_FIELDS = 16;
export const BOARD_BYTES = BOARD_SLOTS * SLOT_FIELDS * Float64Array.BYTES_PER_ELEMENT;

/**
 * Where each number lives in a slot: heartbeat and start time (monotonic ms), requests served and in flight,
 * connections accepted (over every listener) and open, and from `accepted` on, the connections accepted on listener
 * 0, 1, … (the first LISTENER_FIELDS listeners; the rest count only in the total).
 */
export const FIELD = { heartbeat: 0, requests: 1, inFlight: 2, startedAt: 3, pid: 4, connections: 5, openConnections: 6, accepted: 8 } as const;
export const LISTENER_FIELDS = SLOT_FIELDS - FIELD.accepted;

/** CLOCK_MONOTONIC in milliseconds, the same clock in every process (libuv's hrtime). */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The whole board, mapped writable from `fd` (one ArrayBuffer for the life of the process, never detached). */
export function mapBoard(fd: number): Float64Array {
  return new Float64Array(native().map(fd, BOARD_BYTES, true));
}

/** The supervisor's board: a fresh memfd, zero-filled by the kernel. */
export function createBoard(): { fd: number; board: Float64Array } {
  const fd = native().memfdCreate('prefork:scoreboard', BOARD_BYTES);
  return { fd, board: mapBoard(fd) };
}

/** One worker's slot of the board. */
export function slotOf(board: Float64Array, index: number): Float64Array {
  return board.subarray(index * SLOT_FIELDS, (index + 1) * SLOT_FIELDS);
}
