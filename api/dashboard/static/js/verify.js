// "Verify": recompute the statement's leaf in the browser, walk its proof, and compare the root
// with the one the Settlement contract holds on chain, read from the node (not from the API).
import { rootOnChain, nodeChainId } from './chain.js';
import {
  foldProof, leafBytes, leafHash, linesAmount, periodId,
} from './merkle.js';

const ZERO = `0x${'0'.repeat(64)}`;
const mismatch = (reason, details) => ({ verified: false, reason, ...details });

/**
 * {verified, reason, leaf, root, onChain, periodId}: `statement` as the API gave it, `gridId` the
 * prosumer's grid. Only the chain's root is trusted; every other number is recomputed.
 */
export async function verifyStatement(statement, gridId) {
  const amount = linesAmount(statement.lines);
  if (amount !== BigInt(statement.amount_minor)) {
    return mismatch(`its lines add up to ${amount}, not to amount_minor ${statement.amount_minor}`);
  }
  if (!statement.contract || statement.chain_id === null) {
    return mismatch('the statement names no contract: the month was not posted on chain');
  }
  const leaf = leafHash(leafBytes({
    gridId, month: statement.month, index: statement.index, account: statement.account, amount,
  }));
  const root = foldProof(leaf, statement.proof);
  const period = periodId(gridId, statement.month);
  const chainId = await nodeChainId(statement.chain_id);
  if (chainId !== BigInt(statement.chain_id)) {
    return mismatch(`the node is chain ${chainId}, the statement names chain ${statement.chain_id}`, { leaf, root });
  }
  const onChain = (await rootOnChain(statement.chain_id, statement.contract, period)).toLowerCase();
  const details = { leaf, root, onChain, periodId: period };
  if (onChain === ZERO) return mismatch('the contract holds no root for this month', details);
  if (onChain !== root.toLowerCase()) return mismatch('the proof leads to another root than the one on chain', details);
  return { verified: true, reason: 'the recomputed root is the one on chain', ...details };
}
