// A tiny H.264 (Baseline) encoder that needs no codec: the key frame is made of I_PCM macroblocks
// (raw samples), every later frame is a P frame whose macroblocks are all skipped. Enough for a
// real, playable clip of a few KB that browsers and Telegram-like consumers accept.

class BitWriter {
  private readonly bytes: number[] = [];
  private cur = 0;
  private n = 0;

  bit(b: number): void {
    this.cur = (this.cur << 1) | (b & 1);
    this.n++;
    if (this.n === 8) {
      this.bytes.push(this.cur);
      this.cur = 0;
      this.n = 0;
    }
  }
  bits(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bit((value >> i) & 1);
  }
  ue(value: number): void {
    const v = value + 1;
    const len = Math.floor(Math.log2(v));
    this.bits(0, len);
    this.bits(v, len + 1);
  }
  se(value: number): void {
    this.ue(value <= 0 ? -2 * value : 2 * value - 1);
  }
  get aligned(): boolean {
    return this.n === 0;
  }
  alignZero(): void {
    while (this.n !== 0) this.bit(0);
  }
  byte(b: number): void {
    this.bits(b, 8);
  }
  /** rbsp_trailing_bits: a stop bit, then zeros to the byte boundary. */
  trailing(): Uint8Array {
    this.bit(1);
    this.alignZero();
    return Uint8Array.from(this.bytes);
  }
}

/** Wraps an RBSP into a NAL unit (header byte + emulation prevention). */
function nal(refIdc: number, type: number, rbsp: Uint8Array): Uint8Array {
  const out: number[] = [(refIdc << 5) | type];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

export interface H264Clip {
  sps: Uint8Array;
  pps: Uint8Array;
  /** One NAL unit per frame, without length prefix or start code. */
  frames: Uint8Array[];
  width: number;
  height: number;
}

const LOG2_MAX_FRAME_NUM = 4;

export function encodeClip(opts: { widthMbs: number; heightMbs: number; frames: number }): H264Clip {
  const { widthMbs, heightMbs } = opts;
  const sps = new BitWriter();
  sps.byte(66); // profile_idc: Baseline
  sps.byte(0xc0); // constraint_set0/1
  sps.byte(30); // level 3.0
  sps.ue(0); // seq_parameter_set_id
  sps.ue(LOG2_MAX_FRAME_NUM - 4);
  sps.ue(2); // pic_order_cnt_type 2: output order = decode order
  sps.ue(1); // max_num_ref_frames
  sps.bit(0); // gaps_in_frame_num_value_allowed_flag
  sps.ue(widthMbs - 1);
  sps.ue(heightMbs - 1);
  sps.bit(1); // frame_mbs_only_flag
  sps.bit(1); // direct_8x8_inference_flag
  sps.bit(0); // frame_cropping_flag
  sps.bit(0); // vui_parameters_present_flag

  const pps = new BitWriter();
  pps.ue(0); // pic_parameter_set_id
  pps.ue(0); // seq_parameter_set_id
  pps.bit(0); // entropy_coding_mode_flag: CAVLC
  pps.bit(0); // bottom_field_pic_order_in_frame_present_flag
  pps.ue(0); // num_slice_groups_minus1
  pps.ue(0); // num_ref_idx_l0_default_active_minus1
  pps.ue(0); // num_ref_idx_l1_default_active_minus1
  pps.bit(0); // weighted_pred_flag
  pps.bits(0, 2); // weighted_bipred_idc
  pps.se(0); // pic_init_qp_minus26
  pps.se(0); // pic_init_qs_minus26
  pps.se(0); // chroma_qp_index_offset
  pps.bit(0); // deblocking_filter_control_present_flag
  pps.bit(0); // constrained_intra_pred_flag
  pps.bit(0); // redundant_pic_cnt_present_flag

  const frames = [keyFrame(widthMbs, heightMbs)];
  for (let i = 1; i < opts.frames; i++) frames.push(skipFrame(widthMbs * heightMbs, i));
  return {
    sps: nal(3, 7, sps.trailing()),
    pps: nal(3, 8, pps.trailing()),
    frames,
    width: widthMbs * 16,
    height: heightMbs * 16,
  };
}

function keyFrame(widthMbs: number, heightMbs: number): Uint8Array {
  const w = new BitWriter();
  w.ue(0); // first_mb_in_slice
  w.ue(7); // slice_type: I (all slices)
  w.ue(0); // pic_parameter_set_id
  w.bits(0, LOG2_MAX_FRAME_NUM); // frame_num
  w.ue(0); // idr_pic_id
  w.bit(0); // no_output_of_prior_pics_flag
  w.bit(0); // long_term_reference_flag
  w.se(0); // slice_qp_delta
  for (let my = 0; my < heightMbs; my++) {
    for (let mx = 0; mx < widthMbs; mx++) {
      w.ue(25); // mb_type I_PCM
      w.alignZero(); // pcm_alignment_zero_bit
      // A diagonal gradient in luma, colour varying across the picture; no sample is 0.
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) w.byte(40 + ((mx * 16 + x + my * 16 + y) * 3) % 180);
      }
      const cb = 60 + ((mx * 37) % 140);
      const cr = 60 + ((my * 53 + mx * 11) % 140);
      for (let i = 0; i < 64; i++) w.byte(cb);
      for (let i = 0; i < 64; i++) w.byte(cr);
    }
  }
  return nal(3, 5, w.trailing());
}

function skipFrame(mbCount: number, index: number): Uint8Array {
  const w = new BitWriter();
  w.ue(0); // first_mb_in_slice
  w.ue(5); // slice_type: P (all slices)
  w.ue(0); // pic_parameter_set_id
  w.bits(index % (1 << LOG2_MAX_FRAME_NUM), LOG2_MAX_FRAME_NUM); // frame_num
  w.bit(0); // num_ref_idx_active_override_flag
  w.bit(0); // ref_pic_list_modification_flag_l0
  w.bit(0); // adaptive_ref_pic_marking_mode_flag
  w.se(0); // slice_qp_delta
  w.ue(mbCount); // mb_skip_run: every macroblock copies the previous frame
  return nal(2, 1, w.trailing());
}
