// Numbers from an ONNX tensor's bytes: raw_data is little-endian in the dtype's width
// (docs/formats.md §5.3); the typed fields hold float_data as packed float32, double_data as
// float64, int64_data / uint64_data and int32_data (which also carries int8/16, uint8/16, bool and
// float16/bfloat16 bit patterns) as packed varints. Only the dtypes below are decoded; float8,
// int4 and strings are named by the callers as not summarised.

/** Bytes per value of each dtype read as numbers. */
export const NUMERIC_WIDTHS: ReadonlyMap<string, number> = new Map([
  ['float32', 4], ['float64', 8], ['float16', 2], ['bfloat16', 2], ['int8', 1], ['uint8', 1], ['int16', 2], ['uint16', 2],
  ['int32', 4], ['uint32', 4], ['int64', 8], ['uint64', 8], ['bool', 1],
]);

export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bfloat = new DataView(new ArrayBuffer(4));
export function bfloat16ToNumber(bits: number): number {
  bfloat.setUint32(0, (bits & 0xffff) << 16);
  return bfloat.getFloat32(0);
}

/**
 * Calls `each` with every value in `bytes` (raw_data layout: little-endian, `dtype`'s width; a
 * trailing partial value is ignored). 64-bit integers come out as the nearest double.
 */
export function forEachRawValue(dtype: string, bytes: Uint8Array, each: (value: number) => void): void {
  const width = NUMERIC_WIDTHS.get(dtype);
  if (width === undefined) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Math.floor(bytes.byteLength / width);
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < n; i++) each(view.getFloat32(i * 4, true));
      return;
    case 'float64':
      for (let i = 0; i < n; i++) each(view.getFloat64(i * 8, true));
      return;
    case 'float16':
      for (let i = 0; i < n; i++) each(float16ToNumber(view.getUint16(i * 2, true)));
      return;
    case 'bfloat16':
      for (let i = 0; i < n; i++) each(bfloat16ToNumber(view.getUint16(i * 2, true)));
      return;
    case 'int8':
      for (let i = 0; i < n; i++) each(view.getInt8(i));
      return;
    case 'uint8':
    case 'bool':
      for (let i = 0; i < n; i++) each(view.getUint8(i));
      return;
    case 'int16':
      for (let i = 0; i < n; i++) each(view.getInt16(i * 2, true));
      return;
    case 'uint16':
      for (let i = 0; i < n; i++) each(view.getUint16(i * 2, true));
      return;
    case 'int32':
      for (let i = 0; i < n; i++) each(view.getInt32(i * 4, true));
      return;
    case 'uint32':
      for (let i = 0; i < n; i++) each(view.getUint32(i * 4, true));
      return;
    case 'int64':
      for (let i = 0; i < n; i++) each(Number(view.getBigInt64(i * 8, true)));
      return;
    case 'uint64':
      for (let i = 0; i < n; i++) each(Number(view.getBigUint64(i * 8, true)));
  }
}

/** An int32_data entry as the value it stands for (float16 and bfloat16 travel there as bit patterns). */
export function int32DataValue(dtype: string, raw: number): number {
  if (dtype === 'float16') return float16ToNumber(raw & 0xffff);
  if (dtype === 'bfloat16') return bfloat16ToNumber(raw & 0xffff);
  return raw;
}

/** A value for people: integers as they are, others to 6 significant digits. */
export function formatValue(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}
