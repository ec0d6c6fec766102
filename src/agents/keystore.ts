import crypto from "node:crypto";
import fs from "node:fs";
import { bytesToHex, keccak256, type Hex } from "viem";
import { InputError } from "../errors";

type KdfParams = { dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string };
type V3 = { version?: number; crypto?: V3Crypto; Crypto?: V3Crypto };
type V3Crypto = { cipher: string; cipherparams: { iv: string }; ciphertext: string; kdf: string; kdfparams: KdfParams; mac: string };

const strip = (h: string) => (h.startsWith("0x") ? h.slice(2) : h);

/**
 * The private key in an encrypted JSON keystore (Web3 Secret Storage v3, as geth, `cast wallet`, ethers and
 * MetaMask write it: scrypt or PBKDF2, AES-128-CTR, keccak MAC). A wrong password or a malformed file is an
 * InputError naming the file; the key and the password are never echoed.
 */
export function decryptKeystore(file: string, password: string): Hex {
  let v: V3;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8")) as V3;
  } catch (e) {
    throw new InputError(`keystore ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : "not a JSON keystore"}`);
  }
  const c = v.crypto ?? v.Crypto;
  if (v.version !== 3 || !c || c.cipher !== "aes-128-ctr" || !c.kdfparams?.salt) throw new InputError(`keystore ${file}: not a version 3 keystore with aes-128-ctr`);
  const k = c.kdfparams;
  const salt = Buffer.from(strip(k.salt), "hex");
  let derived: Buffer;
  if (c.kdf === "scrypt" && k.n && k.r && k.p) {
    derived = crypto.scryptSync(password.normalize("NFKC"), salt, k.dklen, { N: k.n, r: k.r, p: k.p, maxmem: 256 * k.n * k.r + 32 * 1024 * 1024 });
  } else if (c.kdf === "pbkdf2" && k.c && (k.prf ?? "hmac-sha256") === "hmac-sha256") {
    derived = crypto.pbkdf2Sync(password.normalize("NFKC"), salt, k.c, k.dklen, "sha256");
  } else {
    throw new InputError(`keystore ${file}: unsupported key derivation ${JSON.stringify(c.kdf)}`);
  }
  const ciphertext = Buffer.from(strip(c.ciphertext), "hex");
  const mac = keccak256(new Uint8Array(Buffer.concat([derived.subarray(16, 32), ciphertext])));
  if (strip(mac).toLowerCase() !== strip(c.mac).toLowerCase()) throw new InputError(`keystore ${file}: wrong password`);
  const decipher = crypto.createDecipheriv("aes-128-ctr", derived.subarray(0, 16), Buffer.from(strip(c.cipherparams.iv), "hex"));
  const key = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  if (key.length !== 32) throw new InputError(`keystore ${file}: the decrypted key is not 32 bytes`);
  return bytesToHex(new Uint8Array(key));
}

/** The keystore password: the first line of `passwordFile`, else the environment's POQ_KEYSTORE_PASSWORD. */
export function keystorePassword(passwordFile: string | undefined, env: NodeJS.ProcessEnv): string {
  if (passwordFile) {
    try {
      return fs.readFileSync(passwordFile, "utf8").split(/\r?\n/)[0];
    } catch {
      throw new InputError(`password file ${passwordFile} not found`);
    }
  }
  const p = env.POQ_KEYSTORE_PASSWORD;
  if (p === undefined) throw new InputError("a keystore needs its password: --password-file FILE or the environment variable POQ_KEYSTORE_PASSWORD");
  return p;
}
