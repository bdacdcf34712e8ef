'use strict';
// TA-Lib C as an oracle for tradectl's talib generator (features/talib_oracle_test.go).
//
// Reads one JSON request from stdin:
//   {"series": {"<name>": "<base64 of little-endian float64>", ...},
//    "calls":  [{"func": "MACD", "inputs": ["<series name>", ...],
//                "params": [{"name": "fastperiod", "value": 12}, ...]}, ...]}
// and writes one JSON answer to stdout:
//   {"functions": ["ACCBANDS", ...],                       // every function TA-Lib has
//    "meta": {"<FUNC>": {inputs, options, outputs}},       // TA-Lib's own function metadata
//    "results": [{"error": "", "ret": 0, "begIdx": 33, "nbElement": 2967,
//                 "outputs": [{"int": false, "data": "<base64 of float64 or int32, LE>"}]}]}
//
// Each call runs the exported C function TA_<FUNC>(startIdx=0, endIdx=n-1, inputs..., options...,
// &outBegIdx, &outNBElement, outputs...) directly on buffers allocated here on the WASM heap.
// talib-web's JS wrapper is not used: it passes endIdx = n (reading one value past the input)
// and reads integer outputs as doubles. talib-web never calls TA_Initialize, which leaves the
// candle settings zeroed; this script writes TA-Lib's defaults (TA_CandleDefaultSettings) into
// TA_Globals before any call and checks that they took effect.

globalThis.fetch = undefined; // emscripten under Node >= 18 would try fetch() on the .wasm file path

const fs = require('fs');
const talib = require('talib-web');

// TA-Lib's function metadata as talib-web ships it (generated from TA-Lib's abstract interface).
function loadAPI() {
  const src = fs.readFileSync(require.resolve('talib-web'), 'utf8');
  const m = src.match(/^const API = (\{.*\});$/m);
  if (!m) throw new Error('talib-web: function metadata (const API) not found');
  return JSON.parse(m[1]);
}

// TA_CandleDefaultSettings of ta_global.c: {settingType, rangeType, avgPeriod, factor};
// rangeType 0 = RealBody, 1 = HighLow, 2 = Shadows.
const candleDefaults = [
  [0, 10, 1.0], [0, 10, 3.0], [0, 10, 1.0], [1, 10, 0.1], // BodyLong, BodyVeryLong, BodyShort, BodyDoji
  [0, 0, 1.0], [0, 0, 2.0], [2, 10, 1.0], [1, 10, 0.1], // ShadowLong, ShadowVeryLong, ShadowShort, ShadowVeryShort
  [1, 5, 0.2], [1, 5, 0.6], [1, 5, 0.05], // Near, Far, Equal
];

// TA_Globals is a pointer, set by the module's constructor, to a static struct 8 bytes after
// it (the only word in memory that holds its own address + 8); the candle settings start 160
// bytes into the struct, 24 bytes each (3 ints, padding, a double).
function initCandleSettings(M) {
  const h = M.HEAP32;
  const found = [];
  for (let i = 1; i < h.length; i++) {
    if (h[i] === i * 4 + 8) found.push(i * 4);
  }
  if (found.length !== 1) throw new Error(`TA_Globals: ${found.length} candidates`);
  const base = found[0] + 8 + 160;
  candleDefaults.forEach(([range, period, factor], k) => {
    const a = base + 24 * k;
    M.HEAP32[a / 4] = k;
    M.HEAP32[a / 4 + 1] = range;
    M.HEAP32[a / 4 + 2] = period;
    M.HEAPF64[(a + 16) / 8] = factor;
  });
  // Check: CDLDOJI's lookback is the BodyDoji period, and a small body among wide ranges is a doji.
  const n = 12;
  const o = [], hi = [], lo = [], c = [];
  for (let i = 0; i < n; i++) { o.push(100); hi.push(110); lo.push(90); c.push(i === n - 1 ? 100.5 : 105); }
  const r = run(M, 'CDLDOJI', [o, hi, lo, c].map((a) => Float64Array.from(a)), [], [true]);
  if (r.ret !== 0 || r.begIdx !== 10 || r.ints[0][n - 1 - 10] !== 100 || r.ints[0][0] !== 0) {
    throw new Error('TA-Lib candle settings did not take effect: ' + JSON.stringify({ ret: r.ret, beg: r.begIdx }));
  }
}

// run calls TA_<name> on the whole inputs and returns the return code, outBegIdx, outNBElement
// and the outputs (Float64Array or Int32Array copies).
function run(M, name, inputs, options, intOutputs) {
  const fn = M.asm['TA_' + name];
  const n = inputs[0].length;
  const ptrs = [];
  const alloc = (bytes) => { const p = M._malloc(Math.max(bytes, 8)); if (!p) throw new Error('WASM heap exhausted'); ptrs.push(p); return p; };
  try {
    const args = [0, n - 1];
    for (const x of inputs) {
      const p = alloc(n * 8);
      M.HEAPF64.set(x, p / 8);
      args.push(p);
    }
    args.push(...options);
    const pBeg = alloc(4), pNb = alloc(4);
    M.HEAP32[pBeg / 4] = -1;
    M.HEAP32[pNb / 4] = -1;
    args.push(pBeg, pNb);
    const outs = intOutputs.map((isInt) => {
      const p = alloc(n * 8);
      (isInt ? M.HEAP32.subarray(p / 4, p / 4 + n) : M.HEAPF64.subarray(p / 8, p / 8 + n)).fill(0);
      args.push(p);
      return p;
    });
    if (fn.length !== args.length) throw new Error(`TA_${name} takes ${fn.length} arguments, the call has ${args.length}`);
    const ret = fn(...args);
    const begIdx = M.HEAP32[pBeg / 4], nb = M.HEAP32[pNb / 4];
    const res = { ret, begIdx, nbElement: nb, ints: [], data: [] };
    outs.forEach((p, k) => {
      const len = ret === 0 ? nb : 0;
      if (intOutputs[k]) {
        const v = Int32Array.from(M.HEAP32.subarray(p / 4, p / 4 + len));
        res.ints.push(v);
        res.data.push(v);
      } else {
        res.data.push(Float64Array.from(M.HEAPF64.subarray(p / 8, p / 8 + len)));
      }
    });
    return res;
  } finally {
    for (const p of ptrs) M._free(p);
  }
}

function decodeSeries(b64) {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float64Array(buf.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = buf.readDoubleLE(i * 8);
  return out;
}

function encode(arr) {
  return Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).toString('base64');
}

const lower = (s) => s.toLowerCase();
const argName = (s) => lower(s).replace(/^in(?=[a-z])/, '');

// checkCall compares a call with TA-Lib's metadata and returns the options in TA-Lib's order.
function checkCall(api, call) {
  if (!api) throw new Error('TA-Lib has no function ' + call.func);
  call.inputs = call.inputs || [];
  call.params = call.params || [];
  if (api.inputs.length !== call.inputs.length) {
    throw new Error(`${call.func}: TA-Lib takes ${api.inputs.length} inputs, the call has ${call.inputs.length}`);
  }
  if (api.options.length !== call.params.length) {
    throw new Error(`${call.func}: TA-Lib takes ${api.options.length} options, the call has ${call.params.length}`);
  }
  return api.options.map((o, k) => {
    const p = call.params[k];
    if (lower(o.name) !== p.name) throw new Error(`${call.func}: option ${k} is ${o.name}, the call has ${p.name}`);
    if (o.type !== 'Double' && !Number.isInteger(p.value)) throw new Error(`${call.func}: ${p.name} must be an integer`);
    return p.value;
  });
}

function meta(api) {
  return {
    inputs: api.inputs.map((i) => argName(i.name)),
    options: api.options.map((o) => ({
      name: lower(o.name), type: o.type, default: o.defaultValue,
      min: o.range ? o.range.min : null, max: o.range ? o.range.max : null,
    })),
    outputs: api.outputs.map((o) => ({ name: lower(o.name), int: o.type === 'Integer[]' })),
  };
}

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  const API = loadAPI();
  const M = await talib.init();
  initCandleSettings(M);
  const series = {};
  for (const [k, v] of Object.entries(req.series)) series[k] = decodeSeries(v);
  const metaOut = {};
  const results = req.calls.map((call) => {
    const api = API[call.func];
    try {
      const options = checkCall(api, call);
      metaOut[call.func] = meta(api);
      const inputs = call.inputs.map((s) => {
        if (!series[s]) throw new Error('unknown series ' + s);
        return series[s];
      });
      const intOutputs = api.outputs.map((o) => o.type === 'Integer[]');
      const r = run(M, call.func, inputs, options, intOutputs);
      return {
        error: '', ret: r.ret, begIdx: r.begIdx, nbElement: r.nbElement,
        outputs: r.data.map((d, k) => ({ int: intOutputs[k], data: encode(d) })),
      };
    } catch (e) {
      return { error: String(e.message || e) };
    }
  });
  process.stdout.write(JSON.stringify({ functions: Object.keys(API).sort(), meta: metaOut, results }));
}

main().catch((e) => {
  process.stderr.write('talib-oracle: ' + (e.stack || e) + '\n');
  process.exit(1);
});
