/**
 * A local HTTP server that answers the Kubo RPC calls `KuboContent` uses, with the response shapes of Kubo's
 * documented API (`fixtures/kubo-rpc.json`): no Kubo binary can be installed here. It keeps blocks in memory, hashes
 * what it is given as Kubo would (raw/dag-pb, sha2-256/keccak-256), chunks `add` with the parameters it is sent, and
 * can be told to serve tampered bytes or to chunk `add` differently (a Kubo of another version or configuration).
 * For tests only; it listens on 127.0.0.1.
 */
import http from "node:http";
import type net from "node:net";
import fixtures from "./fixtures/kubo-rpc.json";
import { CODEC_DAG_PB, CODEC_RAW, decodeCid, digestOf, HASH_KECCAK_256, HASH_SHA2_256, makeCid, cidFromBytes, type Cid } from "./cid";
import { dagBlocks } from "./dag";
import { loadDagModules } from "./esm";

export type KuboCall = { cmd: string; params: Record<string, string[]> };

const CODECS: Record<string, number> = { raw: CODEC_RAW, "dag-pb": CODEC_DAG_PB, protobuf: CODEC_DAG_PB };
const HASHES: Record<string, number> = { "sha2-256": HASH_SHA2_256, "keccak-256": HASH_KECCAK_256 };

class RpcError extends Error {
  constructor(
    message: string,
    readonly status = 500,
  ) {
    super(message);
  }
}

function fill(template: { Message: string; Code: number; Type: string }, values: Record<string, string>): string {
  let m = template.Message;
  for (const [k, v] of Object.entries(values)) m = m.replace(`<${k}>`, v);
  return m;
}

function parseDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
}

function multipartFile(req: http.IncomingMessage, body: Buffer): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers["content-type"] ?? "");
  if (!boundary) throw new RpcError("file argument 'data' is required", 400);
  const b = boundary[1] ?? boundary[2];
  const start = body.indexOf("\r\n\r\n");
  const end = body.indexOf(`\r\n--${b}`, start + 4);
  if (start < 0 || end < 0) throw new RpcError("file argument 'data' is required", 400);
  return body.subarray(start + 4, end);
}

export class FakeKubo {
  readonly blocks = new Map<string, Uint8Array>();
  readonly pins = new Set<string>();
  readonly calls: KuboCall[] = [];
  /** CIDs whose `block/get` returns these bytes instead (a lying or corrupted node). */
  readonly tampered = new Map<string, Uint8Array>();
  /** When set, `add` ignores the chunker it is sent and uses chunks of this size (another Kubo configuration). */
  addChunkSize?: number;
  url = "";
  private server?: http.Server;
  private readonly sockets = new Set<net.Socket>();

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Stores a block as `block/put` would (for tests that seed the node). */
  putBlock(codec: "raw" | "dag-pb", mhtype: "sha2-256" | "keccak-256", bytes: Uint8Array): Cid {
    const cid = makeCid(CODECS[codec], HASHES[mhtype], digestOf(HASHES[mhtype], bytes)!);
    this.blocks.set(cid, bytes);
    return cid;
  }

  calledWith(cmd: string): KuboCall[] {
    return this.calls.filter((c) => c.cmd === cmd);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const params: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (params[k] ??= []).push(v);
    const one = (k: string) => params[k]?.[0];
    if (!url.pathname.startsWith("/api/v0/")) return this.text(res, 404, "404 page not found");
    const cmd = url.pathname.slice("/api/v0/".length);
    this.calls.push({ cmd, params });
    if (req.method !== "POST") return this.text(res, 405, "405 - Method Not Allowed");
    const closed = new AbortController();
    res.on("close", () => closed.abort());
    try {
      switch (cmd) {
        case "id":
          return this.json(res, fixtures.id);
        case "swarm/peers":
          return this.json(res, fixtures["swarm/peers"]);
        case "block/put": {
          const bytes = multipartFile(req, body);
          const codecName = one("cid-codec") ?? one("format") ?? "raw";
          const mh = one("mhtype") ?? "sha2-256";
          if (!(codecName in CODECS)) throw new RpcError(`unrecognized multicodec: ${codecName}`);
          if (!(mh in HASHES)) throw new RpcError(fill(fixtures.errors.badMultihash, { mhtype: mh }));
          const cid = makeCid(CODECS[codecName], HASHES[mh], digestOf(HASHES[mh], bytes)!);
          this.blocks.set(cid, new Uint8Array(bytes));
          if (one("pin") === "true") this.pins.add(cid);
          return this.json(res, { Key: cid, Size: bytes.length });
        }
        case "block/get": {
          const cid = this.arg(one("arg"));
          const bytes = await this.waitForBlock(cid, one("offline") === "true", parseDuration(one("timeout")), closed.signal);
          res.writeHead(200, { "Content-Type": "text/plain", "X-Stream-Output": "1", Trailer: "X-Stream-Error" });
          return void res.end(Buffer.from(bytes));
        }
        case "add": {
          const bytes = multipartFile(req, body);
          if ((one("hash") ?? "sha2-256") !== "sha2-256") throw new RpcError(fill(fixtures.errors.badMultihash, { mhtype: one("hash")! }));
          const chunkSize = this.addChunkSize ?? Number(/^size-(\d+)$/.exec(one("chunker") ?? "size-262144")?.[1] ?? 262144);
          const m = await loadDagModules();
          let cumulative = 0;
          const store = {
            put: async (cid: { bytes: Uint8Array }, block: Uint8Array) => {
              this.blocks.set(cidFromBytes(cid.bytes), block);
              cumulative += block.length;
              return cid as never;
            },
          };
          const r = await m.importBytes(bytes, store, {
            cidVersion: one("cid-version") === "1" ? 1 : 0,
            rawLeaves: one("raw-leaves") === "true",
            reduceSingleLeafToSelf: true,
            chunker: m.fixedSize({ chunkSize }),
            layout: m.balanced({ maxChildrenPerNode: 174 }),
          });
          const cid = r.cid.toString();
          if (one("pin") === "true") this.pins.add(cid);
          res.writeHead(200, { "Content-Type": "application/json", "X-Chunked-Output": "1" });
          return void res.end(`${JSON.stringify({ Name: cid, Hash: cid, Size: String(cumulative) })}\n`);
        }
        case "pin/add": {
          const cid = this.arg(one("arg"));
          for (const b of await dagBlocks(cid, async (c) => this.waitForBlock(c, false, parseDuration(one("timeout")), closed.signal))) {
            if (!this.blocks.has(b)) throw new RpcError(fixtures.errors.deadline.Message);
          }
          this.pins.add(cid);
          return this.json(res, { Pins: [cid] });
        }
        case "pin/rm": {
          const cid = this.arg(one("arg"));
          if (!this.pins.delete(cid)) throw new RpcError(fixtures.errors.notPinned.Message);
          return this.json(res, { Pins: [cid] });
        }
        case "pin/ls": {
          const cids = (params.arg ?? []).map((a) => this.arg(a));
          const type = one("type") ?? "all";
          if (type !== "recursive" && type !== "all") throw new RpcError(`invalid type '${type}'`);
          for (const c of cids) if (!this.pins.has(c)) throw new RpcError(fill(fixtures.errors.lsNotPinned, { cid: c }));
          const list = cids.length ? cids : [...this.pins];
          res.writeHead(200, { "Content-Type": "application/json", "X-Chunked-Output": "1" });
          return void res.end(list.map((c) => `${JSON.stringify({ Cid: c, Name: "", Type: "recursive" })}\n`).join(""));
        }
        case "repo/gc": {
          // Kubo keeps every block of a recursively pinned DAG and streams the key of each block it removes.
          const kept = new Set<string>();
          for (const p of this.pins) for (const b of await dagBlocks(p as Cid, async (c) => this.waitForBlock(c, true, 0, closed.signal))) kept.add(b);
          const removed = [...this.blocks.keys()].filter((c) => !kept.has(c));
          for (const c of removed) this.blocks.delete(c);
          res.writeHead(200, { "Content-Type": "application/json", "X-Chunked-Output": "1" });
          return void res.end(removed.map((c) => `${JSON.stringify({ Key: { "/": c } })}\n`).join(""));
        }
        default:
          return this.text(res, 404, "404 page not found");
      }
    } catch (e) {
      const status = e instanceof RpcError ? e.status : 500;
      if (res.headersSent || closed.signal.aborted) return void res.destroy();
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ Message: (e as Error).message, Code: 0, Type: "error" }));
    }
  }

  private arg(a: string | undefined): Cid {
    if (!a) throw new RpcError("argument \"key\" is required", 400);
    const s = a.replace(/^\/ipfs\//, "");
    try {
      const d = decodeCid(s);
      return makeCid(d.codec, d.hashCode, d.digest);
    } catch (e) {
      throw new RpcError(fill(fixtures.errors.invalidCid, { arg: a, reason: (e as Error).message }));
    }
  }

  private async waitForBlock(cid: Cid, offline: boolean, timeoutMs: number | undefined, closed: AbortSignal): Promise<Uint8Array> {
    const until = Date.now() + (timeoutMs ?? 60_000);
    for (;;) {
      const bytes = this.tampered.get(cid) ?? this.blocks.get(cid);
      if (bytes) return bytes;
      if (offline) throw new RpcError(fill(fixtures.errors.offlineNotFound, { cid }));
      if (Date.now() >= until) throw new RpcError(fixtures.errors.deadline.Message);
      if (closed.aborted) throw new RpcError("context canceled");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private json(res: http.ServerResponse, value: unknown): void {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(`${JSON.stringify(value)}\n`);
  }

  private text(res: http.ServerResponse, status: number, text: string): void {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(text);
  }
}
