// Settlement: each settled month's status, a month's totals, transactions (with their blocks,
// read from the chain node) and lines, and a button to start a month (admin and operator keys).
import { api, apiAll, Problem } from './api.js';
import { blockLink, chainForm, receiptOf, txLink } from './chain.js';
import { gridInfo, prosumerNames } from './grid-data.js';
import { settledMonths } from './months.js';
import { mountShell } from './shell.js';
import { monthIn, stepMonth } from './time.js';
import {
  busy, byId, empty, facts, fmtEther, fmtInt, fmtMoney, h, problemBox, short, show, table,
} from './ui.js';

const RUNNING = ['planned', 'posting', 'paying', 'confirming'];
const state = { context: null, info: null, names: new Map() };
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const money = (minor) => fmtMoney(minor, state.info.currency);

function monthsTable(runs) {
  const rows = runs.map(({ month, run }) => [
    h('button', { type: 'button', class: 'link', onclick: () => { byId('month').value = month; drawMonth(); } }, month),
    run.status, fmtInt(run.count), money(run.credits_minor), money(run.debits_minor),
  ]);
  return table('Settled months', [{ label: 'Month' }, { label: 'Status' }, { label: 'Statements', num: true },
    { label: 'Credits', num: true }, { label: 'Debits', num: true }], rows);
}

async function drawMonths() {
  const months = await settledMonths(state.context.gridId);
  const runs = await Promise.all(months.map(async ({ month }) => ({
    month, run: (await api(`/grids/${state.context.gridId}/settlements/${month}`, { query: { page_size: 1 } })).data,
  })));
  show(byId('months'), runs.length ? monthsTable(runs) : empty('No month has been settled yet.'));
  return months;
}

function runFacts(run) {
  const t = run.totals;
  return facts([
    ['Status', h('span', { id: 'run-status' }, run.status)],
    ['Started / finished', `${run.started_at} / ${run.finished_at || '—'}`],
    ['Statements', fmtInt(run.count)],
    ['Credits (the grid pays)', `${money(run.credits_minor)}: ${t.credits_paid} paid, ${t.credits_deferred} deferred`],
    ['Debits (prosumers pay)', `${money(run.debits_minor)}: ${t.debits_due} due, ${t.debits_pending} pending, ${t.debits_paid} paid`],
    ['Held for refused wallets', fmtEther(run.deferred_wei)],
    ['Root', h('code', {}, run.root)],
    ['Period id', h('code', {}, run.period_id)],
    ['Contract', run.contract ? h('code', {}, run.contract) : '—'],
    ['Chain id', String(run.chain_id ?? '—')],
    ['Verifiable', run.verifiable ? 'yes' : 'no (the contract is not the one the run used)'],
    ['Error', run.error || '—'],
  ], 'Settlement run');
}

function txTable(run) {
  const blocks = run.transactions.map(() => h('span', {}, '…'));
  const rows = run.transactions.map((tx, i) => [tx.kind, tx.status, String(tx.nonce ?? '—'),
    tx.gas_used === null ? '—' : fmtInt(tx.gas_used), txLink(tx.tx_hash, short(tx.tx_hash, 12)), blocks[i]]);
  run.transactions.forEach(async (tx, i) => {
    if (!tx.tx_hash || run.chain_id === null) { show(blocks[i], '—'); return; }
    try {
      const receipt = await receiptOf(run.chain_id, tx.tx_hash);
      show(blocks[i], receipt ? blockLink(receipt.blockNumber) : 'not mined');
    } catch (err) {
      show(blocks[i], h('span', { class: 'warn', title: err.message }, 'node unreachable'));
    }
  });
  return table('Transactions', [{ label: 'Kind' }, { label: 'Status' }, { label: 'Nonce', num: true },
    { label: 'Gas used', num: true }, { label: 'Tx hash' }, { label: 'Block', num: true }], rows);
}

function linesTable(lines) {
  const rows = lines.map((l) => [String(l.index), state.names.get(l.prosumer_id) || l.prosumer_id,
    h('code', {}, short(l.account, 8)), l.kind, money(l.amount_minor), l.status,
    l.tx_hash ? txLink(l.tx_hash, short(l.tx_hash, 8)) : '—']);
  return table(`Statements (${fmtInt(lines.length)})`, [{ label: 'Index' }, { label: 'Prosumer' },
    { label: 'Wallet' }, { label: 'Kind' }, { label: 'Amount', num: true }, { label: 'Status' }, { label: 'Tx' }], rows);
}

function startButton(month) {
  if (state.context.role !== 'grid') return null;
  const button = h('button', { type: 'button', id: 'start' }, `Start settling ${month}`);
  button.addEventListener('click', busy(button, async () => {
    try {
      const { data } = await api(`/grids/${state.context.gridId}/settlements`, { method: 'POST', body: { month } });
      show(byId('start-outcome'), `Started: ${data.status}.`);
      await followRun(month);
    } catch (err) {
      show(byId('start-outcome'), problemBox(err));
    }
  }));
  return h('p', {}, button, h('span', { id: 'start-outcome', role: 'status', 'aria-live': 'polite' }));
}

async function followRun(month) {
  for (let i = 0; i < 120; i += 1) {
    const run = await readRun(month);
    if (run && !RUNNING.includes(run.status)) break;
    await sleep(1000);
  }
  await drawMonth();
  await drawMonths();
}

async function readRun(month) {
  try {
    return (await apiAll(`/grids/${state.context.gridId}/settlements/${month}`, {}, (d) => d.lines));
  } catch (err) {
    if (err instanceof Problem && err.status === 404) return null;
    throw err;
  }
}

async function drawMonth() {
  const month = byId('month').value;
  const holder = byId('run');
  if (!month) return;
  try {
    const found = await readRun(month);
    if (!found) {
      show(holder, empty(`${month} is not settled yet.`), startButton(month));
      return;
    }
    const run = found.answers[0].data;
    show(holder, runFacts(run), RUNNING.includes(run.status) || run.status === 'failed' ? startButton(month) : null,
      txTable(run), linesTable(found.items));
  } catch (err) {
    show(holder, problemBox(err));
  }
}

async function load(context) {
  state.context = context;
  for (const id of ['months', 'run']) show(byId(id));
  if (!context?.gridId) {
    show(byId('problem'), empty(context ? 'Choose a grid above.' : 'Paste an API key above.'));
    return;
  }
  try {
    show(byId('problem'));
    state.info = await gridInfo(context.gridId, context.role);
    state.names = await prosumerNames(context.gridId, context.role);
    const months = await drawMonths();
    const input = byId('month');
    if (!input.value) input.value = months[0]?.month || stepMonth(monthIn(Date.now(), state.info.tz), -1);
    await drawMonth();
  } catch (err) {
    show(byId('problem'), problemBox(err));
  }
}

chainForm(() => state.context && drawMonth());
byId('month-form').addEventListener('submit', (event) => { event.preventDefault(); drawMonth(); });
const asked = new URLSearchParams(window.location.search).get('month');
if (asked) byId('month').value = asked;
mountShell('settlement', load);
