// Weight formats on the device: every supported type is read in chunks of 32 consecutive
// elements of a row, dequantized into registers. A chunk is a whole block for Q8_0/Q4_0 and a
// sub-block of 32 for the 256-element K-quants, so one loop shape serves every format.
// Layouts follow ../shared/tools/synth/LAYOUTS.md (ggml's, little endian).
//
// The readers are __host__ __device__ so that a host program (src/test/cuda/decode_formats.cu)
// can check them against llama-core's formats on a machine without a GPU.
#pragma once
#include <cuda_fp16.h>
#include <stdint.h>
#include <string.h>

#define LJ_HD __host__ __device__ __forceinline__

// A read-only load: through the texture path on the device, plain on the host.
template <typename T>
LJ_HD T ldg(const T* p) {
#ifdef __CUDA_ARCH__
    return __ldg(p);
#else
    return *p;
#endif
}

LJ_HD float bits_float(unsigned u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}

// ggml type ids, as in GGUF (and dev.llamaj.core.tensor.GgmlType).
enum : int {
    T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8,
    T_Q2_K = 10, T_Q3_K = 11, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_BF16 = 30
};

// F32, F16 and BF16 have no blocks: their rows may have any length (the chunked path needs
// a multiple of 32, the element path takes the rest).
static inline bool is_plain(int type) { return type == T_F32 || type == T_F16 || type == T_BF16; }

// Bytes one row of `cols` elements takes, or -1 for a type the device cannot read.
static inline long long row_bytes(int type, long long cols) {
    switch (type) {
        case T_F32: return cols * 4;
        case T_F16: case T_BF16: return cols * 2;
        case T_Q8_0: return cols / 32 * 34;
        case T_Q4_0: return cols / 32 * 18;
        case T_Q4_1: return cols / 32 * 20;
        case T_Q5_0: return cols / 32 * 22;
        case T_Q5_1: return cols / 32 * 24;
        case T_Q2_K: return cols / 256 * 84;
        case T_Q3_K: return cols / 256 * 110;
        case T_Q4_K: return cols / 256 * 144;
        case T_Q5_K: return cols / 256 * 176;
        case T_Q6_K: return cols / 256 * 210;
        default: return -1;
    }
}

LJ_HD float ld_f16(const uint8_t* p) {
    return __half2float(__ushort_as_half(*(const unsigned short*) p));
}

LJ_HD float bf16_bits(unsigned short b) {
    return bits_float(((unsigned) b) << 16);
}

// Elements 32c .. 32c+31 of a row as floats. `row` is the row's first byte.
template <int TYPE>
LJ_HD void load_chunk(const uint8_t* __restrict__ row, int c, float v[32]);

template <>
LJ_HD void load_chunk<T_F32>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const float4* p = (const float4*) (row + (size_t) c * 128);
#pragma unroll
    for (int i = 0; i < 8; i++) {
        float4 f = ldg(p + i);
        v[4 * i] = f.x; v[4 * i + 1] = f.y; v[4 * i + 2] = f.z; v[4 * i + 3] = f.w;
    }
}

template <>
LJ_HD void load_chunk<T_F16>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint4* p = (const uint4*) (row + (size_t) c * 64);
#pragma unroll
    for (int i = 0; i < 4; i++) {
        uint4 u = ldg(p + i);
        unsigned w[4] = {u.x, u.y, u.z, u.w};  // halves taken by shifts: no type punning
#pragma unroll
        for (int j = 0; j < 4; j++) {
            v[8 * i + 2 * j] = __half2float(__ushort_as_half((unsigned short) (w[j] & 0xffff)));
            v[8 * i + 2 * j + 1] = __half2float(__ushort_as_half((unsigned short) (w[j] >> 16)));
        }
    }
}

template <>
LJ_HD void load_chunk<T_BF16>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint4* p = (const uint4*) (row + (size_t) c * 64);
#pragma unroll
    for (int i = 0; i < 4; i++) {
        uint4 u = ldg(p + i);
        unsigned w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int j = 0; j < 4; j++) {
            v[8 * i + 2 * j] = bits_float(w[j] << 16);
            v[8 * i + 2 * j + 1] = bits_float(w[j] & 0xffff0000u);
        }
    }
}

// Q8_0: f16 d, i8 qs[32]; value d·q. Blocks are 34 bytes, so reads are 2-byte aligned.
template <>
LJ_HD void load_chunk<T_Q8_0>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint8_t* b = row + (size_t) c * 34;
    float d = ld_f16(b);
    const unsigned short* q = (const unsigned short*) (b + 2);
#pragma unroll
    for (int i = 0; i < 16; i++) {
        unsigned short u = q[i];
        v[2 * i] = d * (float) (int8_t) (u & 0xff);
        v[2 * i + 1] = d * (float) (int8_t) (u >> 8);
    }
}

// Q4_0: f16 d, u8 qs[16]; element j in the low nibble of qs[j], j+16 in the high one; d·(q−8).
template <>
LJ_HD void load_chunk<T_Q4_0>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint8_t* b = row + (size_t) c * 18;
    float d = ld_f16(b);
    const unsigned short* q = (const unsigned short*) (b + 2);
#pragma unroll
    for (int i = 0; i < 8; i++) {
        unsigned short u = q[i];
        int lo = u & 0xff, hi = u >> 8;
        v[2 * i] = d * (float) ((lo & 15) - 8);
        v[2 * i + 1] = d * (float) ((hi & 15) - 8);
        v[2 * i + 16] = d * (float) ((lo >> 4) - 8);
        v[2 * i + 17] = d * (float) ((hi >> 4) - 8);
    }
}

// Q4_1: f16 d, f16 m, u8 qs[16] (nibbles as Q4_0); d·q + m.
template <>
LJ_HD void load_chunk<T_Q4_1>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint8_t* b = row + (size_t) c * 20;
    const float d = ld_f16(b), m = ld_f16(b + 2);
    const unsigned short* q = (const unsigned short*) (b + 4);
#pragma unroll
    for (int i = 0; i < 8; i++) {
        unsigned short u = q[i];
        int lo = u & 0xff, hi = u >> 8;
        v[2 * i] = d * (float) (lo & 15) + m;
        v[2 * i + 1] = d * (float) (hi & 15) + m;
        v[2 * i + 16] = d * (float) (lo >> 4) + m;
        v[2 * i + 17] = d * (float) (hi >> 4) + m;
    }
}

// Q5_0 / Q5_1: as Q4_0 / Q4_1 with a 5th bit per element j in bit j of the u32 qh (read as two
// halves: the blocks are only 2-byte aligned); Q5_0 is d·(q−16), Q5_1 d·q + m.
template <bool WITH_MIN>
LJ_HD void load_q5(const uint8_t* b, float v[32]) {
    const float d = ld_f16(b), m = WITH_MIN ? ld_f16(b + 2) : 0.0f;
    const uint8_t* hb = b + (WITH_MIN ? 4 : 2);
    const unsigned qh = ((const unsigned short*) hb)[0] | ((unsigned) ((const unsigned short*) hb)[1] << 16);
    const unsigned short* q = (const unsigned short*) (hb + 4);
#pragma unroll
    for (int i = 0; i < 8; i++) {
        unsigned short u = q[i];
#pragma unroll
        for (int t = 0; t < 2; t++) {
            const int j = 2 * i + t, byte = (u >> (8 * t)) & 0xff;
            const int lo = (byte & 15) | (((qh >> j) & 1) << 4);
            const int hi = (byte >> 4) | (((qh >> (j + 16)) & 1) << 4);
            v[j] = WITH_MIN ? d * (float) lo + m : d * (float) (lo - 16);
            v[j + 16] = WITH_MIN ? d * (float) hi + m : d * (float) (hi - 16);
        }
    }
}

template <>
LJ_HD void load_chunk<T_Q5_0>(const uint8_t* __restrict__ row, int c, float v[32]) {
    load_q5<false>(row + (size_t) c * 22, v);
}

template <>
LJ_HD void load_chunk<T_Q5_1>(const uint8_t* __restrict__ row, int c, float v[32]) {
    load_q5<true>(row + (size_t) c * 24, v);
}

// The 6-bit scale and min of sub-block s (0..7) of Q4_K / Q5_K's packed scales[12].
LJ_HD void k_scale_min(const uint8_t* sc, int s, int* scale, int* min) {
    if (s < 4) {
        *scale = sc[s] & 63;
        *min = sc[s + 4] & 63;
    } else {
        *scale = (sc[s + 4] & 15) | ((sc[s - 4] >> 6) << 4);
        *min = (sc[s + 4] >> 4) | ((sc[s] >> 6) << 4);
    }
}

// Q5_K: f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]; as Q4_K with the 5th bit of
// element 64j+32h+l in qh[l] bit 2j+h.
template <>
LJ_HD void load_chunk<T_Q5_K>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint8_t* b = row + (size_t) (c >> 3) * 176;
    const int s = c & 7, j = s >> 1, h = s & 1;
    int scale, min;
    k_scale_min(b + 4, s, &scale, &min);
    const float ds = ld_f16(b) * (float) scale, dm = ld_f16(b + 2) * (float) min;
    const uint8_t* qh = b + 16;
    const uint8_t* qs = b + 48 + 32 * j;
#pragma unroll
    for (int l = 0; l < 32; l++) {
        const int nib = h ? (qs[l] >> 4) : (qs[l] & 15);
        v[l] = ds * (float) (nib | (((qh[l] >> s) & 1) << 4)) - dm;
    }
}

// Q2_K: u8 scales[16] (low 4 bits scale, high 4 bits min), u8 qs[64], f16 d, f16 dmin;
// element 128n+32j+16s+l has 2 bits in qs[32n+16s+l] bits 2j, scale index e/16; d·sc·q − dmin·m.
template <>
LJ_HD void load_chunk<T_Q2_K>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint8_t* b = row + (size_t) (c >> 3) * 84;
    const int cc = c & 7, n = cc >> 2, j = cc & 3;
    const float d = ld_f16(b + 80), dmin = ld_f16(b + 82);
#pragma unroll
    for (int s = 0; s < 2; s++) {
        const int sc = b[8 * n + 2 * j + s];
        const float ds = d * (float) (sc & 15), dm = dmin * (float) (sc >> 4);
#pragma unroll
        for (int l = 0; l < 16; l++) {
            v[16 * s + l] = ds * (float) ((b[16 + 32 * n + 16 * s + l] >> (2 * j)) & 3) - dm;
        }
    }
}

// Q3_K: u8 hmask[32], u8 qs[64], u8 scales[12] (16 × 6 bits, stored +32), f16 d; element
// 128n+32j+16s+l has 2 bits in qs[32n+16s+l] bits 2j and its high bit in hmask[16s+l] bit 4n+j
// (clear means q − 4); scale index e/16; d·(sc−32)·q.
template <>
LJ_HD void load_chunk<T_Q3_K>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint8_t* b = row + (size_t) (c >> 3) * 110;
    const int cc = c & 7, n = cc >> 2, j = cc & 3;
    const float d = ld_f16(b + 108);
    const uint8_t* scales = b + 96;
#pragma unroll
    for (int s = 0; s < 2; s++) {
        const int si = 8 * n + 2 * j + s;
        const int low = si < 8 ? scales[si] & 15 : scales[si - 8] >> 4;
        const int sc = low | (((scales[8 + (si & 3)] >> (2 * (si >> 2))) & 3) << 4);
        const float ds = d * (float) (sc - 32);
#pragma unroll
        for (int l = 0; l < 16; l++) {
            const int q2 = (b[32 + 32 * n + 16 * s + l] >> (2 * j)) & 3;
            const int high = (b[16 * s + l] >> (4 * n + j)) & 1;
            v[16 * s + l] = ds * (float) (q2 - (high ? 0 : 4));
        }
    }
}

// Q4_K: f16 d, f16 dmin, u8 scales[12], u8 qs[128]; sub-block s = 2j+h holds elements
// 64j+32h+l from qs[32j+l] (low nibble h=0, high h=1); value d·sc_s·q − dmin·m_s.
template <>
LJ_HD void load_chunk<T_Q4_K>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint8_t* b = row + (size_t) (c >> 3) * 144;
    const int s = c & 7, j = s >> 1, h = s & 1;
    int scale, min;
    k_scale_min(b + 4, s, &scale, &min);
    const float ds = ld_f16(b) * (float) scale, dm = ld_f16(b + 2) * (float) min;
    const uint4* q = (const uint4*) (b + 16 + 32 * j);
#pragma unroll
    for (int i = 0; i < 2; i++) {
        uint4 u = ldg(q + i);
        unsigned w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
        for (int k = 0; k < 16; k++) {
            unsigned byte = (w[k >> 2] >> (8 * (k & 3))) & 0xff;
            unsigned nib = h ? (byte >> 4) : (byte & 15);
            v[16 * i + k] = ds * (float) nib - dm;
        }
    }
}

// Q6_K: u8 ql[128], u8 qh[64], i8 scales[16], f16 d; element 128n+32k+l has its low 4 bits in
// ql[64n+l+32(k&1)] (low nibble k<2, high k>=2), high 2 bits in qh[32n+l] bits 2k..2k+1;
// value d·scales[e/16]·(q−32). Blocks are 210 bytes: only 2-byte reads are aligned.
template <>
LJ_HD void load_chunk<T_Q6_K>(const uint8_t* __restrict__ row, int c, float v[32]) {
    const uint8_t* b = row + (size_t) (c >> 3) * 210;
    const int cc = c & 7, n = cc >> 2, k = cc & 3;
    const float d = ld_f16(b + 208);
    const float s0 = d * (float) (int8_t) b[192 + 2 * cc];
    const float s1 = d * (float) (int8_t) b[192 + 2 * cc + 1];
    const unsigned short* ql = (const unsigned short*) (b + 64 * n + 32 * (k & 1));
    const unsigned short* qh = (const unsigned short*) (b + 128 + 32 * n);
    const int lowShift = (k >> 1) * 4, highShift = 2 * k;
#pragma unroll
    for (int i = 0; i < 16; i++) {
        unsigned lw = ql[i], hw = qh[i];
#pragma unroll
        for (int t = 0; t < 2; t++) {
            int l = 2 * i + t;
            int lo = ((lw >> (8 * t)) >> lowShift) & 15;
            int hi = ((hw >> (8 * t)) >> highShift) & 3;
            v[l] = (l < 16 ? s0 : s1) * (float) ((lo | (hi << 4)) - 32);
        }
    }
}

// One element of a plain (F32/F16/BF16) row: norm weights, and rows whose length is not a
// multiple of 32.
LJ_HD float load_elem(int type, const uint8_t* __restrict__ p, long long i) {
    switch (type) {
        case T_F16: return ld_f16(p + 2 * i);
        case T_BF16: return bf16_bits(((const unsigned short*) p)[i]);
        default: return ((const float*) p)[i];
    }
}

template <int TYPE>
LJ_HD float load_elem_t(const uint8_t* __restrict__ p, long long i) {
    return load_elem(TYPE, p, i);
}
