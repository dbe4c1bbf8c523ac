/**
 * When a produce is answered: `none` at once (no offsets), `leader` after the append, `flushed`
 * after the log is fsynced. Its own module so that settings parsing loads no broker code.
 */
export const ACKS_LEVELS = ["none", "leader", "flushed"] as const;
export type Acks = (typeof ACKS_LEVELS)[number];
