// A prosumer's month: the statement as facts, its lines on demand, the verify button.
import { verifyStatement } from './verify.js';
import {
  busy, facts, fmtInt, fmtMoney, h, problemBox, short, show, table,
} from './ui.js';

function linesTable(statement, currency) {
  return table(`${fmtInt(statement.lines.length)} timeframes with trades`,
    [{ label: 'Timeframe start' }, { label: 'Received', num: true }, { label: 'Paid', num: true }],
    statement.lines.map((l) => [l.start, fmtMoney(l.received_minor, currency), fmtMoney(l.paid_minor, currency)]));
}

/** Lines rendered when first opened (a month of 15-minute lines is thousands of rows). */
function linesDetails(statement, currency) {
  const details = h('details', { id: 'statement-lines' },
    h('summary', {}, `Lines (${fmtInt(statement.lines.length)})`));
  details.addEventListener('toggle', () => {
    if (details.open && details.children.length === 1) details.append(linesTable(statement, currency));
  }, { once: false });
  return details;
}

function verdictOf(result) {
  const word = result.verified ? 'verified' : 'mismatch';
  const values = [['Recomputed leaf', result.leaf], ['Root from the proof', result.root],
    ['Root on chain', result.onChain], ['Period id', result.periodId]].filter(([, v]) => v);
  return [
    h('p', { class: `verdict ${result.verified ? 'ok' : 'bad'}`, id: 'verdict-word' }, word),
    h('p', {}, result.reason),
    facts(values.map(([k, v]) => [k, h('code', {}, v)]), 'Verification values'),
  ];
}

/** Render `statement` into `holder`, with the verify button working against the chain. */
export function drawStatement(holder, statement, { gridId, currency }) {
  const verdict = h('div', { id: 'verdict', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'verify' }, 'Verify against the chain');
  button.addEventListener('click', busy(button, async () => {
    show(verdict, h('p', {}, 'Recomputing the leaf and reading the root from the chain node…'));
    try {
      show(verdict, verdictOf(await verifyStatement(statement, gridId)));
    } catch (err) {
      show(verdict, h('p', { class: 'verdict bad', id: 'verdict-word' }, 'not checked'), problemBox(err));
    }
  }));
  const amount = fmtMoney(statement.amount_minor, currency);
  show(holder,
    facts([
      ['Month', statement.month],
      ['Balance', `${amount} (${statement.kind}: ${statement.kind === 'debit' ? 'the prosumer pays' : 'the grid pays'})`],
      ['Status', statement.status],
      ['Wallet', h('code', {}, statement.account)],
      ['Index, proof', `${statement.index}, ${statement.proof.length} sibling(s)`],
      ['Leaf', h('code', { title: statement.leaf }, short(statement.leaf, 18))],
      ['Root', h('code', { title: statement.root }, short(statement.root, 18))],
      ['Contract', statement.contract ? h('code', {}, statement.contract) : 'not posted'],
      ['Owed on chain', statement.owed_wei && statement.owed_wei !== '0' ? `${statement.owed_wei} wei` : '—'],
    ], 'Statement'),
    linesDetails(statement, currency),
    h('p', {}, button, ' ', h('span', { class: 'help' },
      'recomputes the leaf from these numbers, walks the proof and compares the root with roots(period_id) on chain')),
    verdict);
}

