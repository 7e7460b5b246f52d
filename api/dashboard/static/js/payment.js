// A debit that is due: the exact call to make, and paying it from an injected wallet.
import { api } from './api.js';
import { txLink } from './chain.js';
import { hasWallet, payFromWallet } from './wallet.js';
import {
  busy, byId, facts, fmtEther, h, problemBox, show,
} from './ui.js';

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function untilPaid(path, tries = 60) {
  for (let i = 0; i < tries; i += 1) {
    const { data } = await api(path);
    if (data.status === 'paid') return data;
    await sleep(500);
  }
  return (await api(path)).data;
}

function callFacts(payment) {
  return facts([
    ['Status', h('span', { id: 'payment-status' }, payment.status)],
    ['From (your wallet)', h('code', {}, payment.from)],
    ['To (the contract)', h('code', {}, payment.to)],
    ['Value', `${fmtEther(payment.value)} (${payment.value} wei)`],
    ['Chain id', String(payment.chain_id)],
    ['Function', payment.function],
    ['Call data', h('details', {}, h('summary', {}, `${(payment.data.length - 2) / 2} bytes`), h('code', {}, payment.data))],
    ['Transaction', payment.tx_hash ? txLink(payment.tx_hash) : '—'],
  ], 'Payment');
}

/** Show the payment of a debit statement and, where a wallet is injected, a button to pay it. */
export async function drawPayment(holder, prosumerId, month, onPaid) {
  const path = `/prosumers/${prosumerId}/statements/${month}/payment`;
  const { data: payment } = await api(path);
  const outcome = byId('payment-outcome');  // outside `holder`: it outlives a redraw
  const parts = [callFacts(payment)];
  if (payment.status === 'due' && hasWallet()) {
    const button = h('button', { type: 'button', id: 'pay' }, 'Pay from my wallet');
    button.addEventListener('click', busy(button, async () => {
      show(outcome, h('p', {}, 'Waiting for the wallet…'));
      try {
        const receipt = await payFromWallet(payment);
        show(outcome, h('p', {}, `Mined in block ${receipt.blockNumber}; waiting for the API to see it…`));
        const paid = await untilPaid(path);
        await onPaid?.();
        show(outcome, h('p', { class: 'ok' }, `Payment ${paid.status}: `, txLink(receipt.hash)));
      } catch (err) {
        show(outcome, problemBox(err));
      }
    }));
    parts.push(h('p', {}, button));
  } else if (payment.status === 'due') {
    parts.push(h('p', { class: 'help' }, 'No wallet in this browser: sign this exact call with the wallet '
      + `${payment.from} and post it (README, "A first month, with curl").`));
  }
  show(holder, parts);
}

