import { encodeClip } from './h264.js';

// Minimal ISO BMFF (MP4) writer for one H.264 track, moov before mdat ("fast start").

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}
function u16(n: number): number[] {
  return [(n >>> 8) & 255, n & 255];
}
function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}
function box(type: string, ...parts: number[][]): number[] {
  const body = parts.flat();
  return [...u32(body.length + 8), ...ascii(type), ...body];
}
function fullBox(type: string, version: number, flags: number, ...parts: number[][]): number[] {
  return box(type, [version, (flags >> 16) & 255, (flags >> 8) & 255, flags & 255], ...parts);
}
const MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].flatMap(u32);

export interface TinyMp4 {
  bytes: Uint8Array;
  width: number;
  height: number;
  durationSeconds: number;
}

/** A valid, playable H.264 MP4 of a few KB: a colour gradient, `seconds` long at 10 fps. */
export function makeTinyMp4(opts: { seconds?: number; widthMbs?: number; heightMbs?: number } = {}): TinyMp4 {
  const seconds = opts.seconds ?? 2;
  const fps = 10;
  const clip = encodeClip({ widthMbs: opts.widthMbs ?? 4, heightMbs: opts.heightMbs ?? 4, frames: seconds * fps });
  const samples = clip.frames.map((f) => [...u32(f.length), ...f]);
  const timescale = 1000;
  const delta = timescale / fps;
  const duration = delta * samples.length;

  const ftyp = box('ftyp', ascii('isom'), u32(512), ascii('isomiso2avc1mp41'));
  const buildMoov = (mdatDataOffset: number): number[] => {
    const avcC = box(
      'avcC',
      [1, clip.sps[1] ?? 66, clip.sps[2] ?? 0, clip.sps[3] ?? 30, 0xff, 0xe1],
      u16(clip.sps.length),
      [...clip.sps],
      [1],
      u16(clip.pps.length),
      [...clip.pps],
    );
    const avc1 = box(
      'avc1',
      [0, 0, 0, 0, 0, 0, ...u16(1)], // reserved, data_reference_index
      new Array<number>(16).fill(0), // pre_defined / reserved
      u16(clip.width),
      u16(clip.height),
      u32(0x00480000),
      u32(0x00480000),
      u32(0),
      u16(1), // frame_count
      new Array<number>(32).fill(0), // compressorname
      u16(0x0018),
      u16(0xffff),
      avcC,
    );
    const stbl = box(
      'stbl',
      fullBox('stsd', 0, 0, u32(1), avc1),
      fullBox('stts', 0, 0, u32(1), u32(samples.length), u32(delta)),
      fullBox('stss', 0, 0, u32(1), u32(1)),
      fullBox('stsc', 0, 0, u32(1), u32(1), u32(samples.length), u32(1)),
      fullBox('stsz', 0, 0, u32(0), u32(samples.length), samples.flatMap((s) => u32(s.length))),
      fullBox('stco', 0, 0, u32(1), u32(mdatDataOffset)),
    );
    const minf = box(
      'minf',
      fullBox('vmhd', 0, 1, u16(0), u16(0), u16(0), u16(0)),
      box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1))),
      stbl,
    );
    const mdia = box(
      'mdia',
      fullBox('mdhd', 0, 0, u32(0), u32(0), u32(timescale), u32(duration), u16(0x55c4), u16(0)),
      fullBox('hdlr', 0, 0, u32(0), ascii('vide'), u32(0), u32(0), u32(0), ascii('VideoHandler'), [0]),
      minf,
    );
    const tkhd = fullBox(
      'tkhd', 0, 3, u32(0), u32(0), u32(1), u32(0), u32(duration), u32(0), u32(0),
      u16(0), u16(0), u16(0), u16(0), MATRIX, u32(clip.width << 16), u32(clip.height << 16),
    );
    const mvhd = fullBox(
      'mvhd', 0, 0, u32(0), u32(0), u32(timescale), u32(duration), u32(0x00010000), u16(0x0100),
      new Array<number>(10).fill(0), MATRIX, new Array<number>(24).fill(0), u32(2),
    );
    return box('moov', mvhd, box('trak', tkhd, mdia));
  };
  const moovSize = buildMoov(0).length;
  const moov = buildMoov(ftyp.length + moovSize + 8);
  const mdat = box('mdat', samples.flat());
  return {
    bytes: Uint8Array.from([...ftyp, ...moov, ...mdat]),
    width: clip.width,
    height: clip.height,
    durationSeconds: seconds,
  };
}

/** Reads width/height/duration from an MP4's moov (for Telegram's Video object); undefined if not MP4. */
export function probeMp4(bytes: Uint8Array): { width: number; height: number; duration: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: { width?: number; height?: number; duration?: number } = {};
  const walk = (start: number, end: number): void => {
    let p = start;
    while (p + 8 <= end) {
      const size = view.getUint32(p);
      const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
      if (size < 8 || p + size > end) return;
      if (type === 'moov' || type === 'trak') walk(p + 8, p + size);
      if (type === 'mvhd' && bytes[p + 8] === 0) {
        found.duration = Math.round(view.getUint32(p + 24) / Math.max(1, view.getUint32(p + 20)));
      }
      if (type === 'tkhd' && bytes[p + 8] === 0 && found.width === undefined) {
        const w = view.getUint32(p + size - 8) >>> 16;
        const h = view.getUint32(p + size - 4) >>> 16;
        if (w > 0 && h > 0) Object.assign(found, { width: w, height: h });
      }
      p += size;
    }
  };
  walk(0, bytes.length);
  if (found.width === undefined || found.height === undefined) return undefined;
  return { width: found.width, height: found.height, duration: found.duration ?? 0 };
}
