/**
 * Framing. Every frame is `[size: uint32][size bytes]`; `size` counts the bytes after itself.
 *
 *   client -> server   [size][apiKey int16][apiVersion int16][correlationId int32][request body]
 *   server -> client   [size][kind int8][id int32][body]
 *     kind 0 RESPONSE  id = the request's correlationId; body = the response
 *     kind 1 PUSH      id = the subscription id (from a Subscribe response); body = a push delivery
 *     kind 2 FATAL     id = correlationId or -1; body = [code int16][message string]; the server
 *                      closes the connection right after (malformed or oversized frame)
 *
 * Requests may be pipelined: a client sends many without waiting; responses carry the correlation
 * id and come back in the order the requests complete (long polls may finish after later requests).
 * `FrameDecoder` does no I/O: feed it bytes in any split (tests feed one byte at a time).
 */
import { ProtocolError, Writer } from "./codec.js";

export const REQUEST_HEADER_BYTES = 8;
export const SERVER_HEADER_BYTES = 5;
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export const SERVER_FRAME_KINDS = { response: 0, push: 1, fatal: 2 } as const;
export type ServerFrameKind = keyof typeof SERVER_FRAME_KINDS;

export class FrameTooLargeError extends ProtocolError {
  readonly size: number;
  constructor(size: number, max: number) {
    super(`frame of ${size} bytes exceeds the ${max}-byte maximum`);
    this.name = "FrameTooLargeError";
    this.size = size;
  }
}

/** Splits a byte stream into frames (each returned without its size field). */
export class FrameDecoder {
  private readonly maxFrameBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feeds bytes; calls `onFrame` for each complete frame. Throws FrameTooLargeError as soon as a size is known. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.peekSize();
      if (head > this.maxFrameBytes) throw new FrameTooLargeError(head, this.maxFrameBytes);
      if (this.buffered < 4 + head) return;
      const whole = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const frame = whole.subarray(4, 4 + head);
      const rest = whole.subarray(4 + head);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      onFrame(frame);
    }
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readUInt32BE(0);
    const head = Buffer.concat(this.chunks, this.buffered).subarray(0, 4);
    return head.readUInt32BE(0);
  }
}

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
}

export function readRequestHeader(frame: Buffer): RequestHeader {
  if (frame.length < REQUEST_HEADER_BYTES) {
    throw new ProtocolError(`request frame of ${frame.length} bytes is shorter than its header`);
  }
  return {
    apiKey: frame.readInt16BE(0),
    apiVersion: frame.readInt16BE(2),
    correlationId: frame.readInt32BE(4),
  };
}

/** Starts a request frame: write the body into the returned Writer, then `endFrame`. */
export function beginRequest(header: RequestHeader, sizeHint = 256): Writer {
  return new Writer(sizeHint + 4 + REQUEST_HEADER_BYTES, 4)
    .int16(header.apiKey)
    .int16(header.apiVersion)
    .int32(header.correlationId);
}

export function beginServerFrame(kind: ServerFrameKind, id: number, sizeHint = 256): Writer {
  return new Writer(sizeHint + 4 + SERVER_HEADER_BYTES, 4).int8(SERVER_FRAME_KINDS[kind]).int32(id);
}

/** Back-patches the size field; returns the frame bytes. */
export function endFrame(w: Writer): Buffer {
  w.patchUint32(0, w.length - 4);
  return w.finish();
}

export interface ServerFrameHeader {
  readonly kind: ServerFrameKind;
  readonly id: number;
}

export function readServerHeader(frame: Buffer): ServerFrameHeader {
  if (frame.length < SERVER_HEADER_BYTES) throw new ProtocolError(`server frame of ${frame.length} bytes`);
  const k = frame.readInt8(0);
  const kind = k === 0 ? "response" : k === 1 ? "push" : k === 2 ? "fatal" : null;
  if (kind === null) throw new ProtocolError(`unknown server frame kind ${k}`);
  return { kind, id: frame.readInt32BE(1) };
}
