// Reading the chain node directly with ethers: the Settlement contract's roots(period_id) and
// transaction receipts. The node's URL is a setting of this browser (not the API's).
import { Contract, JsonRpcProvider, Network } from '../vendor/ethers.min.js';
import { setSetting, setting } from './store.js';
import { byId, h } from './ui.js';

const ABI = ['function roots(bytes32 period_id) view returns (bytes32)'];
const providers = new Map();

const fromPage = new URLSearchParams(window.location.search).get('rpc');
if (fromPage) setSetting('rpc', fromPage);
export const nodeUrl = () => setting('rpc', `${window.location.protocol}//${window.location.hostname}:8545`);
export const explorerUrl = () => setting('explorer', '');

/** A provider for the node, pinned to the chain id the API names (no network probing). */
export function provider(chainId) {
  const key = `${nodeUrl()}|${chainId}`;
  if (!providers.has(key)) {
    const network = Network.from(BigInt(chainId));
    providers.set(key, new JsonRpcProvider(nodeUrl(), network, { staticNetwork: network }));
  }
  return providers.get(key);
}

/** The chain id the node itself reports (a bigint). */
export async function nodeChainId(chainId) {
  return BigInt(await provider(chainId).send('eth_chainId', []));
}

/** roots(period_id) of the contract, read from the node: a 0x… 32-byte hex. */
export async function rootOnChain(chainId, contract, period) {
  return new Contract(contract, ABI, provider(chainId)).roots(period);
}

/** The receipt of a transaction (block number, status), or null when the node has none. */
export async function receiptOf(chainId, hash) {
  return provider(chainId).getTransactionReceipt(hash);
}

/** The small form that sets the chain node's URL (and an explorer), with `onChange`. */
export function chainForm(onChange) {
  const rpc = h('input', { id: 'rpc', type: 'url', value: nodeUrl(), size: 30, spellcheck: 'false' });
  const explorer = h('input', {
    id: 'explorer', type: 'url', value: explorerUrl(), size: 26, placeholder: 'optional', spellcheck: 'false',
  });
  const form = h('form', { class: 'settings', id: 'chain-form', 'aria-label': 'Chain node' },
    h('label', { for: 'rpc' }, 'Chain node (JSON-RPC)'), rpc,
    h('label', { for: 'explorer' }, 'Block explorer'), explorer,
    h('button', { type: 'submit' }, 'Use node'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setSetting('rpc', rpc.value);
    setSetting('explorer', explorer.value);
    onChange?.();
  });
  byId('chain-settings')?.replaceChildren(form);
  return form;
}

/** A tx hash as a link to the explorer (when one is set) or as code. */
export function txLink(hash, label = hash) {
  if (!hash) return '—';
  const base = explorerUrl().replace(/\/$/, '');
  return base ? h('a', { href: `${base}/tx/${hash}`, rel: 'noreferrer' }, h('code', {}, label)) : h('code', { title: hash }, label);
}

export function blockLink(number) {
  if (number === null || number === undefined) return '—';
  const base = explorerUrl().replace(/\/$/, '');
  return base ? h('a', { href: `${base}/block/${number}`, rel: 'noreferrer' }, String(number)) : String(number);
}
