/*
 * klcpu: the native execution core of klcrypt's emulated Intel Key Locker CPU.
 *
 * The Java side (dev.klcrypt.keylocker.cpu) owns all state and all semantics: IWKey, handles, checks, MSRs,
 * soft-disable. This file only executes AES rounds on key schedules that live in memory the Java side allocated,
 * mlocked and marked MADV_DONTDUMP, so no clear key or round key ever lands on the Java heap.
 *
 * Paths: AES-NI with 8 blocks in flight (every x86-64 CPU with AES-NI) and VAES/AVX-512 with 16 blocks in flight
 * (chosen at run time). XTS follows IEEE 1619 / the kernel's aeskl-xts data flow, with ciphertext stealing.
 *
 * Every function takes raw pointers and lengths that the Java caller has validated.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <errno.h>

#define EXPORT __attribute__((visibility("default")))

/* ---------------------------------------------------------------- feature detection */

static int has_vaes512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("vaes") && __builtin_cpu_supports("vpclmulqdq");
}

/* bit0: AES-NI, bit1: VAES + AVX-512 + VPCLMULQDQ */
EXPORT int klc_host_features(void) {
  __builtin_cpu_init();
  int f = 0;
  if (__builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1")) f |= 1;
  if (has_vaes512()) f |= 2;
  return f;
}

static int use_wide_simd = -1;

/* Lets tests pin the AES-NI path (0), the VAES path (1, if the host has it) or auto (-1). */
EXPORT int klc_select_path(int mode) {
  if (mode < 0) use_wide_simd = has_vaes512();
  else use_wide_simd = mode && has_vaes512();
  return use_wide_simd;
}

static inline int wide_simd(void) {
  if (use_wide_simd < 0) use_wide_simd = has_vaes512();
  return use_wide_simd;
}

static void wipe(void *p, size_t n) {
  explicit_bzero(p, n);
}

/* ---------------------------------------------------------------- key schedules */
/* Schedule layout (480 bytes): 15 encryption round keys, then 15 decryption round keys (equivalent inverse). */

#define SCHED_BYTES 480

static inline __m128i exp128(__m128i key, __m128i gen) {
  gen = _mm_shuffle_epi32(gen, 0xff);
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, gen);
}

static void expand128(const uint8_t *key, __m128i *rk) {
  rk[0] = _mm_loadu_si128((const __m128i *)key);
  rk[1] = exp128(rk[0], _mm_aeskeygenassist_si128(rk[0], 0x01));
  rk[2] = exp128(rk[1], _mm_aeskeygenassist_si128(rk[1], 0x02));
  rk[3] = exp128(rk[2], _mm_aeskeygenassist_si128(rk[2], 0x04));
  rk[4] = exp128(rk[3], _mm_aeskeygenassist_si128(rk[3], 0x08));
  rk[5] = exp128(rk[4], _mm_aeskeygenassist_si128(rk[4], 0x10));
  rk[6] = exp128(rk[5], _mm_aeskeygenassist_si128(rk[5], 0x20));
  rk[7] = exp128(rk[6], _mm_aeskeygenassist_si128(rk[6], 0x40));
  rk[8] = exp128(rk[7], _mm_aeskeygenassist_si128(rk[7], 0x80));
  rk[9] = exp128(rk[8], _mm_aeskeygenassist_si128(rk[8], 0x1b));
  rk[10] = exp128(rk[9], _mm_aeskeygenassist_si128(rk[9], 0x36));
}

static inline __m128i exp256_odd(__m128i t3, __m128i t1) {
  __m128i t2 = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(t1, 0x00), 0xaa);
  t3 = _mm_xor_si128(t3, _mm_slli_si128(t3, 4));
  t3 = _mm_xor_si128(t3, _mm_slli_si128(t3, 4));
  t3 = _mm_xor_si128(t3, _mm_slli_si128(t3, 4));
  return _mm_xor_si128(t3, t2);
}

#define EXP256_STEP(i, rcon)                                                 \
  do {                                                                       \
    rk[i] = exp128(rk[(i) - 2], _mm_aeskeygenassist_si128(rk[(i) - 1], rcon)); \
    if ((i) + 1 < 15) rk[(i) + 1] = exp256_odd(rk[(i) - 1], rk[i]);          \
  } while (0)

static void expand256(const uint8_t *key, __m128i *rk) {
  rk[0] = _mm_loadu_si128((const __m128i *)key);
  rk[1] = _mm_loadu_si128((const __m128i *)(key + 16));
  EXP256_STEP(2, 0x01);
  EXP256_STEP(4, 0x02);
  EXP256_STEP(6, 0x04);
  EXP256_STEP(8, 0x08);
  EXP256_STEP(10, 0x10);
  EXP256_STEP(12, 0x20);
  EXP256_STEP(14, 0x40);
}

/* key_len 16 or 32; returns the number of rounds (10 or 14), or -1. sched: SCHED_BYTES, 16-byte aligned not required */
EXPORT int klc_aes_expand(const uint8_t *key, int key_len, uint8_t *sched) {
  __m128i rk[15];
  int rounds;
  if (key_len == 16) {
    expand128(key, rk);
    rounds = 10;
  } else if (key_len == 32) {
    expand256(key, rk);
    rounds = 14;
  } else {
    return -1;
  }
  memset(sched, 0, SCHED_BYTES);
  for (int i = 0; i <= rounds; i++) _mm_storeu_si128((__m128i *)(sched + 16 * i), rk[i]);
  uint8_t *dk = sched + 240;
  _mm_storeu_si128((__m128i *)dk, rk[rounds]);
  for (int i = 1; i < rounds; i++) _mm_storeu_si128((__m128i *)(dk + 16 * i), _mm_aesimc_si128(rk[rounds - i]));
  _mm_storeu_si128((__m128i *)(dk + 16 * rounds), rk[0]);
  wipe(rk, sizeof rk);
  return rounds;
}

static inline void load_rk(const uint8_t *sched, int decrypt, int rounds, __m128i *rk) {
  memset(rk, 0, 15 * sizeof(__m128i));
  const uint8_t *base = sched + (decrypt ? 240 : 0);
  for (int i = 0; i <= rounds; i++) rk[i] = _mm_loadu_si128((const __m128i *)(base + 16 * i));
}

static inline __m128i enc1(__m128i b, const __m128i *rk, int rounds) {
  b = _mm_xor_si128(b, rk[0]);
  for (int r = 1; r < rounds; r++) b = _mm_aesenc_si128(b, rk[r]);
  return _mm_aesenclast_si128(b, rk[rounds]);
}

static inline __m128i dec1(__m128i b, const __m128i *rk, int rounds) {
  b = _mm_xor_si128(b, rk[0]);
  for (int r = 1; r < rounds; r++) b = _mm_aesdec_si128(b, rk[r]);
  return _mm_aesdeclast_si128(b, rk[rounds]);
}

/* ECB over whole blocks: the work of AES{ENC,DEC}{128,256}KL (1 block) and the WIDE forms (8 blocks). */
EXPORT void klc_aes_blocks(const uint8_t *sched, int rounds, int decrypt, const uint8_t *in, uint8_t *out,
                           size_t blocks) {
  __m128i rk[15];
  load_rk(sched, decrypt, rounds, rk);
  for (size_t i = 0; i < blocks; i++) {
    __m128i b = _mm_loadu_si128((const __m128i *)(in + 16 * i));
    b = decrypt ? dec1(b, rk, rounds) : enc1(b, rk, rounds);
    _mm_storeu_si128((__m128i *)(out + 16 * i), b);
  }
  wipe(rk, sizeof rk);
}

/* ---------------------------------------------------------------- XTS */

/* T * x in GF(2^128), little-endian block convention of IEEE 1619 */
static inline __m128i mulx(__m128i t) {
  const __m128i mask = _mm_set_epi32(1, 1, 1, 0x87);
  __m128i c = _mm_and_si128(_mm_shuffle_epi32(_mm_srai_epi32(t, 31), 0x93), mask);
  return _mm_xor_si128(_mm_slli_epi32(t, 1), c);
}

#define XTS_LANES 8

/* Whole blocks, AES-NI, 8 in flight. Returns the next tweak. */
static __m128i xts_blocks_aesni(const __m128i *rk, int rounds, int decrypt, __m128i t, const uint8_t *in,
                                uint8_t *out, size_t blocks) {
  while (blocks >= XTS_LANES) {
    __m128i tw[XTS_LANES], b[XTS_LANES];
    for (int i = 0; i < XTS_LANES; i++) {
      tw[i] = t;
      t = mulx(t);
      b[i] = _mm_xor_si128(_mm_xor_si128(_mm_loadu_si128((const __m128i *)(in + 16 * i)), tw[i]), rk[0]);
    }
    if (decrypt) {
      for (int r = 1; r < rounds; r++)
        for (int i = 0; i < XTS_LANES; i++) b[i] = _mm_aesdec_si128(b[i], rk[r]);
      for (int i = 0; i < XTS_LANES; i++) b[i] = _mm_aesdeclast_si128(b[i], rk[rounds]);
    } else {
      for (int r = 1; r < rounds; r++)
        for (int i = 0; i < XTS_LANES; i++) b[i] = _mm_aesenc_si128(b[i], rk[r]);
      for (int i = 0; i < XTS_LANES; i++) b[i] = _mm_aesenclast_si128(b[i], rk[rounds]);
    }
    for (int i = 0; i < XTS_LANES; i++) _mm_storeu_si128((__m128i *)(out + 16 * i), _mm_xor_si128(b[i], tw[i]));
    in += 16 * XTS_LANES;
    out += 16 * XTS_LANES;
    blocks -= XTS_LANES;
  }
  for (; blocks > 0; blocks--) {
    __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), t);
    b = decrypt ? dec1(b, rk, rounds) : enc1(b, rk, rounds);
    _mm_storeu_si128((__m128i *)out, _mm_xor_si128(b, t));
    t = mulx(t);
    in += 16;
    out += 16;
  }
  return t;
}

#define VTARGET __attribute__((target("avx512f,avx512bw,vaes,vpclmulqdq")))

/* Each 128-bit lane times x^4 (the next group of four tweaks). */
VTARGET static inline __m512i mulx4_512(__m512i t) {
  const __m512i poly = _mm512_set_epi64(0, 0x87, 0, 0x87, 0, 0x87, 0, 0x87);
  __m512i carry = _mm512_srli_epi64(t, 60);
  __m512i r = _mm512_xor_si512(_mm512_slli_epi64(t, 4), _mm512_bslli_epi128(carry, 8));
  return _mm512_xor_si512(r, _mm512_clmulepi64_epi128(carry, poly, 0x01));
}

VTARGET static __m128i xts_blocks_vaes(const __m128i *rk128, int rounds, int decrypt, __m128i t,
                                       const uint8_t *in, uint8_t *out, size_t blocks) {
  if (blocks >= 16) {
    __m512i rk[15];
    for (int i = 0; i <= rounds; i++) rk[i] = _mm512_broadcast_i32x4(rk128[i]);
    __m128i t1 = mulx(t), t2 = mulx(t1), t3 = mulx(t2);
    __m512i tw0 = _mm512_inserti32x4(
        _mm512_inserti32x4(_mm512_inserti32x4(_mm512_castsi128_si512(t), t1, 1), t2, 2), t3, 3);
    while (blocks >= 16) {
      __m512i tw1 = mulx4_512(tw0), tw2 = mulx4_512(tw1), tw3 = mulx4_512(tw2);
      __m512i b0 = _mm512_xor_si512(_mm512_loadu_si512(in), tw0);
      __m512i b1 = _mm512_xor_si512(_mm512_loadu_si512(in + 64), tw1);
      __m512i b2 = _mm512_xor_si512(_mm512_loadu_si512(in + 128), tw2);
      __m512i b3 = _mm512_xor_si512(_mm512_loadu_si512(in + 192), tw3);
      b0 = _mm512_xor_si512(b0, rk[0]);
      b1 = _mm512_xor_si512(b1, rk[0]);
      b2 = _mm512_xor_si512(b2, rk[0]);
      b3 = _mm512_xor_si512(b3, rk[0]);
      if (decrypt) {
        for (int r = 1; r < rounds; r++) {
          b0 = _mm512_aesdec_epi128(b0, rk[r]);
          b1 = _mm512_aesdec_epi128(b1, rk[r]);
          b2 = _mm512_aesdec_epi128(b2, rk[r]);
          b3 = _mm512_aesdec_epi128(b3, rk[r]);
        }
        b0 = _mm512_aesdeclast_epi128(b0, rk[rounds]);
        b1 = _mm512_aesdeclast_epi128(b1, rk[rounds]);
        b2 = _mm512_aesdeclast_epi128(b2, rk[rounds]);
        b3 = _mm512_aesdeclast_epi128(b3, rk[rounds]);
      } else {
        for (int r = 1; r < rounds; r++) {
          b0 = _mm512_aesenc_epi128(b0, rk[r]);
          b1 = _mm512_aesenc_epi128(b1, rk[r]);
          b2 = _mm512_aesenc_epi128(b2, rk[r]);
          b3 = _mm512_aesenc_epi128(b3, rk[r]);
        }
        b0 = _mm512_aesenclast_epi128(b0, rk[rounds]);
        b1 = _mm512_aesenclast_epi128(b1, rk[rounds]);
        b2 = _mm512_aesenclast_epi128(b2, rk[rounds]);
        b3 = _mm512_aesenclast_epi128(b3, rk[rounds]);
      }
      _mm512_storeu_si512(out, _mm512_xor_si512(b0, tw0));
      _mm512_storeu_si512(out + 64, _mm512_xor_si512(b1, tw1));
      _mm512_storeu_si512(out + 128, _mm512_xor_si512(b2, tw2));
      _mm512_storeu_si512(out + 192, _mm512_xor_si512(b3, tw3));
      tw0 = mulx4_512(tw3);
      in += 256;
      out += 256;
      blocks -= 16;
    }
    t = _mm512_castsi512_si128(tw0);
    wipe(rk, sizeof rk);
  }
  return xts_blocks_aesni(rk128, rounds, decrypt, t, in, out, blocks);
}

/*
 * One XTS data unit. k1: data-key schedule, k2: tweak-key schedule (its encryption half is used), iv: 16 bytes.
 * len >= 16; a tail that is not a whole block is handled by ciphertext stealing (IEEE 1619 section 5.3).
 */
static void xts_unit(const __m128i *rk1, const __m128i *rk2enc, int rounds, int decrypt, const uint8_t *iv,
                     const uint8_t *in, uint8_t *out, size_t len) {
  __m128i t = enc1(_mm_loadu_si128((const __m128i *)iv), rk2enc, rounds);
  size_t blocks = len / 16, tail = len % 16;
  size_t bulk = tail ? blocks - 1 : blocks;
  t = wide_simd() ? xts_blocks_vaes(rk1, rounds, decrypt, t, in, out, bulk)
                  : xts_blocks_aesni(rk1, rounds, decrypt, t, in, out, bulk);
  if (!tail) return;
  in += 16 * bulk;
  out += 16 * bulk;
  /* last full block m-1 and partial block m */
  __m128i tm1 = t, tm = mulx(t);
  __m128i first = decrypt ? tm : tm1, second = decrypt ? tm1 : tm;
  uint8_t cc[16], pp[16];
  __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), first);
  b = decrypt ? dec1(b, rk1, rounds) : enc1(b, rk1, rounds);
  _mm_storeu_si128((__m128i *)cc, _mm_xor_si128(b, first));
  memcpy(pp, in + 16, tail);
  memcpy(pp + tail, cc + tail, 16 - tail);
  memcpy(out + 16, cc, tail);
  b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)pp), second);
  b = decrypt ? dec1(b, rk1, rounds) : enc1(b, rk1, rounds);
  _mm_storeu_si128((__m128i *)out, _mm_xor_si128(b, second));
  wipe(cc, sizeof cc);
  wipe(pp, sizeof pp);
}

/*
 * `units` data units of `unit_len` bytes each; unit i uses the plain64 tweak LE64(first_tweak + i * tweak_step).
 * In-place operation (in == out) is allowed.
 */
EXPORT void klc_xts_units(const uint8_t *k1_sched, const uint8_t *k2_sched, int rounds, int decrypt,
                          uint64_t first_tweak, uint64_t tweak_step, const uint8_t *in, uint8_t *out,
                          size_t unit_len, size_t units) {
  __m128i rk1[15], rk2[15];
  load_rk(k1_sched, decrypt, rounds, rk1);
  load_rk(k2_sched, 0, rounds, rk2);
  uint8_t iv[16] = {0};
  for (size_t u = 0; u < units; u++) {
    uint64_t s = first_tweak + u * tweak_step;
    memcpy(iv, &s, 8); /* x86-64 is little-endian: this is LE64 */
    xts_unit(rk1, rk2, rounds, decrypt, iv, in + u * unit_len, out + u * unit_len, unit_len);
  }
  wipe(rk1, sizeof rk1);
  wipe(rk2, sizeof rk2);
}

/* One data unit with a full 16-byte tweak value (IEEE 1619 vectors), any length >= 16. */
EXPORT void klc_xts_unit_iv(const uint8_t *k1_sched, const uint8_t *k2_sched, int rounds, int decrypt,
                            const uint8_t *iv16, const uint8_t *in, uint8_t *out, size_t len) {
  __m128i rk1[15], rk2[15];
  load_rk(k1_sched, decrypt, rounds, rk1);
  load_rk(k2_sched, 0, rounds, rk2);
  xts_unit(rk1, rk2, rounds, decrypt, iv16, in, out, len);
  wipe(rk1, sizeof rk1);
  wipe(rk2, sizeof rk2);
}

/* ---------------------------------------------------------------- SIV (key wrapping and sealing) */
/*
 * The emulator's stand-in for Key Locker's undisclosed AES-GCM-SIV wrap (and for the platform's sealing):
 * SIV in the manner of RFC 5297 with S2V reduced to one AES-CMAC over BE64(len(aad)) || aad || plaintext,
 * CMAC under a 128-bit integrity key, AES-256-CTR under a 256-bit encryption key with IV = tag (bits 31 and 63
 * cleared). Deterministic, like the hardware's handles. Not bit-compatible with real Key Locker.
 */

static inline __m128i dbl(__m128i v) { /* doubling in GF(2^128), big-endian convention of CMAC */
  uint8_t b[16], o[16];
  _mm_storeu_si128((__m128i *)b, v);
  uint8_t carry = 0;
  for (int i = 15; i >= 0; i--) {
    o[i] = (uint8_t)((b[i] << 1) | carry);
    carry = b[i] >> 7;
  }
  if (carry) o[15] ^= 0x87;
  __m128i r = _mm_loadu_si128((const __m128i *)o);
  wipe(b, 16);
  wipe(o, 16);
  return r;
}

static void cmac_parts(const __m128i *rk, int rounds, const uint8_t *const *parts, const size_t *lens, int nparts,
                       uint8_t tag[16]) {
  __m128i l = enc1(_mm_setzero_si128(), rk, rounds);
  __m128i k1 = dbl(l), k2 = dbl(k1);
  size_t total = 0;
  for (int p = 0; p < nparts; p++) total += lens[p];
  __m128i x = _mm_setzero_si128();
  uint8_t blk[16];
  size_t fill = 0, done = 0;
  for (int p = 0; p < nparts; p++) {
    for (size_t i = 0; i < lens[p]; i++) {
      if (fill == 16) { /* a full block that is not the last one */
        x = enc1(_mm_xor_si128(x, _mm_loadu_si128((const __m128i *)blk)), rk, rounds);
        fill = 0;
      }
      blk[fill++] = parts[p][i];
      done++;
    }
  }
  (void)done;
  __m128i last;
  if (total > 0 && fill == 16) {
    last = _mm_xor_si128(_mm_loadu_si128((const __m128i *)blk), k1);
  } else {
    memset(blk + fill, 0, 16 - fill);
    blk[fill] = 0x80;
    last = _mm_xor_si128(_mm_loadu_si128((const __m128i *)blk), k2);
  }
  x = enc1(_mm_xor_si128(x, last), rk, rounds);
  _mm_storeu_si128((__m128i *)tag, x);
  wipe(blk, sizeof blk);
  l = k1 = k2 = last = _mm_setzero_si128();
}

static void ctr_xor(const __m128i *rk, int rounds, const uint8_t tag[16], const uint8_t *in, uint8_t *out,
                    size_t len) {
  uint8_t ctr[16], ks[16];
  memcpy(ctr, tag, 16);
  ctr[8] &= 0x7f; /* RFC 5297: clear bits 63 and 31 of the counter */
  ctr[12] &= 0x7f;
  for (size_t off = 0; off < len; off += 16) {
    _mm_storeu_si128((__m128i *)ks, enc1(_mm_loadu_si128((const __m128i *)ctr), rk, rounds));
    size_t n = len - off < 16 ? len - off : 16;
    for (size_t i = 0; i < n; i++) out[off + i] = in[off + i] ^ ks[i];
    for (int i = 15; i >= 0; i--) /* big-endian increment */
      if (++ctr[i] != 0) break;
  }
  wipe(ks, sizeof ks);
  wipe(ctr, sizeof ctr);
}

/* mac_sched: AES-128 schedule of the integrity key; enc_sched: AES-256 schedule of the encryption key. */
EXPORT void klc_siv_seal(const uint8_t *mac_sched, const uint8_t *enc_sched, const uint8_t *aad, size_t aad_len,
                         const uint8_t *pt, size_t pt_len, uint8_t *tag_out, uint8_t *ct_out) {
  __m128i mk[15], ek[15];
  load_rk(mac_sched, 0, 10, mk);
  load_rk(enc_sched, 0, 14, ek);
  uint8_t lenbe[8];
  for (int i = 0; i < 8; i++) lenbe[i] = (uint8_t)((uint64_t)aad_len >> (56 - 8 * i));
  const uint8_t *parts[3] = {lenbe, aad, pt};
  size_t lens[3] = {8, aad_len, pt_len};
  cmac_parts(mk, 10, parts, lens, 3, tag_out);
  ctr_xor(ek, 14, tag_out, pt, ct_out, pt_len);
  wipe(mk, sizeof mk);
  wipe(ek, sizeof ek);
}

/* Returns 0 when the tag authenticates (pt_out holds the plaintext), -1 otherwise (pt_out is zeroed). */
EXPORT int klc_siv_open(const uint8_t *mac_sched, const uint8_t *enc_sched, const uint8_t *aad, size_t aad_len,
                        const uint8_t *tag, const uint8_t *ct, size_t ct_len, uint8_t *pt_out) {
  __m128i mk[15], ek[15];
  load_rk(mac_sched, 0, 10, mk);
  load_rk(enc_sched, 0, 14, ek);
  ctr_xor(ek, 14, tag, ct, pt_out, ct_len);
  uint8_t lenbe[8], check[16];
  for (int i = 0; i < 8; i++) lenbe[i] = (uint8_t)((uint64_t)aad_len >> (56 - 8 * i));
  const uint8_t *parts[3] = {lenbe, aad, pt_out};
  size_t lens[3] = {8, aad_len, ct_len};
  cmac_parts(mk, 10, parts, lens, 3, check);
  uint8_t diff = 0;
  for (int i = 0; i < 16; i++) diff |= (uint8_t)(check[i] ^ tag[i]); /* constant time */
  wipe(check, sizeof check);
  wipe(mk, sizeof mk);
  wipe(ek, sizeof ek);
  if (diff != 0) {
    explicit_bzero(pt_out, ct_len);
    return -1;
  }
  return 0;
}

/* CMAC alone (known-answer tests against RFC 4493). */
EXPORT void klc_cmac(const uint8_t *mac_sched, int rounds, const uint8_t *msg, size_t len, uint8_t *tag_out) {
  __m128i mk[15];
  load_rk(mac_sched, 0, rounds, mk);
  const uint8_t *parts[1] = {msg};
  size_t lens[1] = {len};
  cmac_parts(mk, rounds, parts, lens, 1, tag_out);
  wipe(mk, sizeof mk);
}

/* ---------------------------------------------------------------- entropy and memory */

/* Full-entropy bytes straight into caller memory (the RDSEED-class source of KeySource 1). 0 or -errno. */
EXPORT int klc_random(uint8_t *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(buf + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += (size_t)n;
  }
  return 0;
}

/* XOR src into dst (mixing the entropy into the software-provided IWKey, in locked memory). */
EXPORT void klc_xor(uint8_t *dst, const uint8_t *src, size_t len) {
  for (size_t i = 0; i < len; i++) dst[i] ^= src[i];
}

/* Constant-time comparison: 0 when equal. */
EXPORT int klc_ct_compare(const uint8_t *a, const uint8_t *b, size_t len) {
  uint8_t d = 0;
  for (size_t i = 0; i < len; i++) d |= (uint8_t)(a[i] ^ b[i]);
  return d;
}
