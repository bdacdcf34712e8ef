// cdl-oracle.mjs computes TA-Lib C's 61 candlestick patterns (talib-web 0.1.3, TA-Lib C
// compiled to WebAssembly) on an OHLC file, calling the exported C functions directly.
//
//   node scripts/cdl-oracle.mjs <dir holding node_modules/talib-web> <in.csv> <outdir>
//
// in.csv: one candle per line, "open,high,low,close" (no header). For each pattern it
// writes <outdir>/<NAME>.i32 (one little-endian int32 per input row, 0 in the look-back
// rows) and prints "NAME lookback plus minus" lines.
//
// Two things of talib-web are worked around:
//   - its JS wrapper reads past the input and reads integer outputs as doubles, so the
//     buffers are allocated in the wasm heap here and the outputs read as Int32;
//   - the module never calls TA_Initialize (not exported), so TA-Lib's candle settings are
//     all zero (every average 0, every lookback 0). This script writes TA-Lib's defaults
//     (TA_CandleDefaultSettings) into the settings table, whose address in talib.wasm 0.1.3
//     was found by probing (CDLDOJI's lookback follows the int at 4200, BodyDoji.avgPeriod),
//     and checks the lookbacks that result.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const [dir, inFile, outDir] = process.argv.slice(2);
if (!dir || !inFile || !outDir) {
  console.error('usage: node cdl-oracle.mjs <dir with node_modules/talib-web> <in.csv> <outdir>');
  process.exit(2);
}
globalThis.fetch = undefined; // make emscripten read talib.wasm from disk
const require = createRequire(path.resolve(dir, 'package.json'));
const talib = require('talib-web');
const M = await talib.init();

// TA_CandleSetting {int settingType; int rangeType; int avgPeriod; double factor} = 24 bytes.
const SETTINGS = 4120; // &TA_Globals->candleSettings[0] in talib-web 0.1.3's talib.wasm
const RealBody = 0, HighLow = 1, Shadows = 2;
const defaults = [
  [RealBody, 10, 1.0], // BodyLong
  [RealBody, 10, 3.0], // BodyVeryLong
  [RealBody, 10, 1.0], // BodyShort
  [HighLow, 10, 0.1], // BodyDoji
  [RealBody, 0, 1.0], // ShadowLong
  [RealBody, 0, 2.0], // ShadowVeryLong
  [Shadows, 10, 1.0], // ShadowShort
  [HighLow, 10, 0.1], // ShadowVeryShort
  [HighLow, 5, 0.2], // Near
  [HighLow, 5, 0.6], // Far
  [HighLow, 5, 0.05], // Equal
];
{
  const dv = new DataView(M.HEAP8.buffer);
  defaults.forEach(([rt, per, f], k) => {
    const a = SETTINGS + 24 * k;
    dv.setInt32(a, k, true);
    dv.setInt32(a + 4, rt, true);
    dv.setInt32(a + 8, per, true);
    dv.setFloat64(a + 16, f, true);
  });
}

// name -> default penetration (undefined: the function takes none)
const patterns = {
  CDL2CROWS: undefined, CDL3BLACKCROWS: undefined, CDL3INSIDE: undefined, CDL3LINESTRIKE: undefined,
  CDL3OUTSIDE: undefined, CDL3STARSINSOUTH: undefined, CDL3WHITESOLDIERS: undefined, CDLABANDONEDBABY: 0.3,
  CDLADVANCEBLOCK: undefined, CDLBELTHOLD: undefined, CDLBREAKAWAY: undefined, CDLCLOSINGMARUBOZU: undefined,
  CDLCONCEALBABYSWALL: undefined, CDLCOUNTERATTACK: undefined, CDLDARKCLOUDCOVER: 0.5, CDLDOJI: undefined,
  CDLDOJISTAR: undefined, CDLDRAGONFLYDOJI: undefined, CDLENGULFING: undefined, CDLEVENINGDOJISTAR: 0.3,
  CDLEVENINGSTAR: 0.3, CDLGAPSIDESIDEWHITE: undefined, CDLGRAVESTONEDOJI: undefined, CDLHAMMER: undefined,
  CDLHANGINGMAN: undefined, CDLHARAMI: undefined, CDLHARAMICROSS: undefined, CDLHIGHWAVE: undefined,
  CDLHIKKAKE: undefined, CDLHIKKAKEMOD: undefined, CDLHOMINGPIGEON: undefined, CDLIDENTICAL3CROWS: undefined,
  CDLINNECK: undefined, CDLINVERTEDHAMMER: undefined, CDLKICKING: undefined, CDLKICKINGBYLENGTH: undefined,
  CDLLADDERBOTTOM: undefined, CDLLONGLEGGEDDOJI: undefined, CDLLONGLINE: undefined, CDLMARUBOZU: undefined,
  CDLMATCHINGLOW: undefined, CDLMATHOLD: 0.5, CDLMORNINGDOJISTAR: 0.3, CDLMORNINGSTAR: 0.3,
  CDLONNECK: undefined, CDLPIERCING: undefined, CDLRICKSHAWMAN: undefined, CDLRISEFALL3METHODS: undefined,
  CDLSEPARATINGLINES: undefined, CDLSHOOTINGSTAR: undefined, CDLSHORTLINE: undefined, CDLSPINNINGTOP: undefined,
  CDLSTALLEDPATTERN: undefined, CDLSTICKSANDWICH: undefined, CDLTAKURI: undefined, CDLTASUKIGAP: undefined,
  CDLTHRUSTING: undefined, CDLTRISTAR: undefined, CDLUNIQUE3RIVER: undefined, CDLUPSIDEGAP2CROWS: undefined,
  CDLXSIDEGAP3METHODS: undefined,
};

const rows = fs.readFileSync(inFile, 'utf8').split('\n').filter((l) => l.length > 0);
const n = rows.length;
const inPtr = M._malloc(n * 8 * 4);
const outPtr = M._malloc(n * 4);
const metaPtr = M._malloc(8);
{
  const F = new Float64Array(M.HEAP8.buffer, inPtr, n * 4);
  rows.forEach((l, i) => {
    const v = l.split(',');
    for (let k = 0; k < 4; k++) F[k * n + i] = Number(v[k]);
  });
}
fs.mkdirSync(outDir, { recursive: true });
for (const [name, pen] of Object.entries(patterns)) {
  const args = [0, n - 1, inPtr, inPtr + n * 8, inPtr + 2 * n * 8, inPtr + 3 * n * 8];
  if (pen !== undefined) args.push(pen);
  args.push(metaPtr, metaPtr + 4, outPtr);
  const rc = M['_TA_' + name](...args);
  if (rc !== 0) throw new Error(`${name}: TA-Lib return code ${rc}`);
  const I = new Int32Array(M.HEAP8.buffer);
  const beg = I[metaPtr / 4], nb = I[metaPtr / 4 + 1];
  const res = new Int32Array(n);
  res.set(I.subarray(outPtr / 4, outPtr / 4 + nb), beg);
  let plus = 0, minus = 0;
  for (const v of res) { if (v > 0) plus++; else if (v < 0) minus++; }
  fs.writeFileSync(path.join(outDir, name + '.i32'), Buffer.from(res.buffer));
  console.log(name, beg, plus, minus);
}
