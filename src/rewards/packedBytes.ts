import { type Address, type Hex, hexToBytes } from "viem";

/**
 * Builds abi.encodePacked-style byte strings (fixed-width big-endian fields, no padding) without per-field hex
 * strings, fast enough to hash a 10,000-task round in milliseconds.
 */
export class PackedBytes {
  private buf: Uint8Array;
  private len = 0;
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }
  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  /** An unsigned integer in `bytes` bytes, big-endian; throws if it does not fit. */
  uint(value: bigint | number, bytes: number): this {
    let v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(8 * bytes)) throw new RangeError(`value ${value} does not fit in uint${8 * bytes}`);
    this.reserve(bytes);
    if (bytes <= 6 && typeof value === "number") {
      let x = value;
      for (let i = bytes - 1; i >= 0; i--) {
        this.buf[this.len + i] = x % 256;
        x = Math.floor(x / 256);
      }
    } else {
      for (let i = bytes - 1; i >= 0; i--) {
        this.buf[this.len + i] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    this.len += bytes;
    return this;
  }
  /** 20 address bytes. */
  address(a: Address): this {
    return this.raw(hexToBytes(a));
  }
  /** Raw bytes (e.g. a bytes32 hash). */
  raw(bytes: Uint8Array | Hex): this {
    const b = typeof bytes === "string" ? hexToBytes(bytes) : bytes;
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
