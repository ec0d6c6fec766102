/**
 * The IPFS libraries (Helia, libp2p, multiformats, the UnixFS importer, kubo-rpc-client) are ES modules only. This
 * project is CommonJS, and `require()` of them fails (some of their dependencies export no CommonJS entry), so they
 * are loaded here with dynamic `import()`, once, on first use; types come from `import type`.
 *
 * Node 20: libp2p 3 calls `Promise.withResolvers` (Node 22+); the polyfill below is installed before any of them
 * loads. (The other Node 20 adjustment is in package.json: `overrides` pins `undici` under `@libp2p/http` to 7.x, since
 * undici 8 needs Node 22.)
 */

type Resolvers<T> = { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };

/** Installs `Promise.withResolvers` where the runtime lacks it (Node 20). Idempotent. */
export function installPolyfills(): void {
  const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
  if (typeof P.withResolvers === "function") return;
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(): Resolvers<T> {
      let resolve!: Resolvers<T>["resolve"];
      let reject!: Resolvers<T>["reject"];
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

installPolyfills();

const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => {
    p ??= load().catch((e) => {
      p = undefined;
      throw e;
    });
    return p;
  };
};

/** multiformats and the UnixFS codec modules (chunking and reading DAGs). */
export const loadDagModules = once(async () => {
  installPolyfills();
  const [{ CID }, importer, chunker, layout, dagPb, unixfs] = await Promise.all([
    import("multiformats/cid"),
    import("ipfs-unixfs-importer"),
    import("ipfs-unixfs-importer/chunker"),
    import("ipfs-unixfs-importer/layout"),
    import("@ipld/dag-pb"),
    import("ipfs-unixfs"),
  ]);
  return { CID, importBytes: importer.importBytes, fixedSize: chunker.fixedSize, balanced: layout.balanced, dagPb, UnixFS: unixfs.UnixFS };
});

/** Helia, libp2p and their stores. */
export const loadHeliaModules = once(async () => {
  installPolyfills();
  const [helia, heliaLibp2p, bitswap, tcp, noise, yamux, identify, blockstoreFs, datastoreFs, multiaddr, hasher, cid, base32, digest] = await Promise.all([
    import("helia"),
    import("@helia/libp2p"),
    import("@helia/bitswap"),
    import("@libp2p/tcp"),
    import("@libp2p/noise"),
    import("@libp2p/yamux"),
    import("@libp2p/identify"),
    import("blockstore-fs"),
    import("datastore-fs"),
    import("@multiformats/multiaddr"),
    import("multiformats/hashes/hasher"),
    import("multiformats/cid"),
    import("multiformats/bases/base32"),
    import("multiformats/hashes/digest"),
  ]);
  return {
    createHeliaLight: helia.createHeliaLight,
    withLibp2pLight: heliaLibp2p.withLibp2pLight,
    withBitswap: bitswap.withBitswap,
    tcp: tcp.tcp,
    noise: noise.noise,
    yamux: yamux.yamux,
    identify: identify.identify,
    FsBlockstore: blockstoreFs.FsBlockstore,
    FsDatastore: datastoreFs.FsDatastore,
    multiaddr: multiaddr.multiaddr,
    hasherFrom: hasher.from,
    CID: cid.CID,
    base32upper: base32.base32upper,
    decodeDigest: digest.decode,
  };
});

/** kubo-rpc-client. */
export const loadKuboModules = once(async () => {
  installPolyfills();
  const [kubo, cid] = await Promise.all([import("kubo-rpc-client"), import("multiformats/cid")]);
  return { create: kubo.create, CID: cid.CID };
});
