// Paying a debit from a wallet injected into the page (EIP-1193, window.ethereum): the call is
// the one GET …/payment gives, sent as is; the key never leaves the wallet.
import { BrowserProvider } from '../vendor/ethers.min.js';

export const hasWallet = () => typeof window.ethereum?.request === 'function';

/** Send `payment` ({from, to, data, value, chain_id}) from the wallet; resolves to the receipt. */
export async function payFromWallet(payment) {
  const provider = new BrowserProvider(window.ethereum);
  const accounts = (await provider.send('eth_requestAccounts', [])).map((a) => a.toLowerCase());
  if (!accounts.includes(payment.from.toLowerCase())) {
    throw new Error(`the wallet holds ${accounts.join(', ') || 'no account'}, the debit is owed by ${payment.from}`);
  }
  const network = await provider.getNetwork();
  if (network.chainId !== BigInt(payment.chain_id)) {
    throw new Error(`the wallet is on chain ${network.chainId}, the payment is for chain ${payment.chain_id}`);
  }
  const signer = await provider.getSigner(payment.from);
  const tx = await signer.sendTransaction({
    to: payment.to, data: payment.data, value: BigInt(payment.value), chainId: BigInt(payment.chain_id),
  });
  const receipt = await tx.wait();
  if (receipt.status !== 1) throw new Error(`the payment ${tx.hash} reverted`);
  return receipt;
}
