// The statement's leaf and its Merkle proof, recomputed in the browser exactly as
// models/domain/statements.py and models/domain/merkle.py do on the server:
//   leaf_bytes = grid_key ‖ YYYYMM ‖ index ‖ account ‖ amount (five 32-byte words, int256 amount)
//   leaf = sha256(sha256(leaf_bytes)); parent = sha256(min(a, b) ‖ max(a, b)) (byte order)
//   period_id = sha256(grid_key ‖ YYYYMM)
import { concat, sha256, toBeHex, toTwos, zeroPadValue } from '../vendor/ethers.min.js';

const word = (n) => toBeHex(BigInt(n), 32);

/** The grid's uuid as 32 bytes: its 16 bytes left-padded with zeros. */
export function gridKey(gridId) {
  const hex = gridId.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`not a grid uuid: ${gridId}`);
  return `0x${'0'.repeat(32)}${hex}`;
}

/** `YYYY-MM` as the integer YYYYMM. */
export function periodNumber(month) {
  const [year, mm] = month.split('-').map(Number);
  return year * 100 + mm;
}

/** The 160 bytes of a statement (hex). */
export function leafBytes({ gridId, month, index, account, amount }) {
  return concat([
    gridKey(gridId),
    word(periodNumber(month)),
    word(index),
    zeroPadValue(account.toLowerCase(), 32),
    toBeHex(toTwos(BigInt(amount), 256), 32),
  ]);
}

export const leafHash = (bytes) => sha256(sha256(bytes));

/** A parent node: sha256 of the two 32-byte children in ascending byte order. */
export function hashPair(a, b) {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return sha256(concat(x <= y ? [x, y] : [y, x]));
}

/** Fold the proof (siblings from the leaf up) into the leaf: the root it leads to. */
export const foldProof = (leaf, proof) => proof.reduce((node, sibling) => hashPair(node, sibling), leaf);

export const periodId = (gridId, month) => sha256(concat([gridKey(gridId), word(periodNumber(month))]));

/** Σ received − Σ paid over the statement's lines (minor units, exact). */
export const linesAmount = (lines) => lines.reduce(
  (sum, line) => sum + BigInt(line.received_minor) - BigInt(line.paid_minor), 0n,
);
