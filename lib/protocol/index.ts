/**
 * The wire contract of Concord, one source of truth for client and server (see docs/PROTOCOL.md).
 * Bump PROTOCOL_VERSION when any schema changes; a test pins a hash of the schemas.
 */
export const PROTOCOL_VERSION = 6;

export * from "./errors";
export * from "./shapes";
export * from "./requests";
export * from "./events";
export * from "./session";
export * from "./mutations";
