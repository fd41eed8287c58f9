// Reference elementwise maps and reductions: plain sequential loops.

export function transposeRef(a: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j] as number;
  return out;
}

export function addRef(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + (b[i] as number));
}

export function subRef(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v - (b[i] as number));
}

export function mulRef(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v * (b[i] as number));
}

export function scaleRef(a: Float64Array, alpha: number): Float64Array {
  return a.map((v) => alpha * v);
}

export function sumRef(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
}

export function dotRef(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

export function sumSquaresRef(a: Float64Array): number {
  return dotRef(a, a);
}

export function maxAbsRef(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i] as number);
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

export function maxAbsDiffRef(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs((a[i] as number) - (b[i] as number));
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

export function colSumsRef(a: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) out[j] = (out[j] as number) + (a[i * n + j] as number);
  return out;
}

export function rowSumsRef(a: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j] as number;
    out[i] = s;
  }
  return out;
}
