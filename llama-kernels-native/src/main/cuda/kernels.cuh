// The kernels behind dev.llamaj.core.kernels.Kernels. Activations are row-major float
// matrices (one row per token); weights are rows in their own format (formats.cuh).
#pragma once
#include "formats.cuh"
#include <math_constants.h>

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum (or max) over a block of up to 1024 threads; every thread gets the result.
template <bool MAX>
__device__ float block_reduce(float v, float* scratch /* 32 floats */) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = MAX ? warp_max(v) : warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : (MAX ? -CUDART_INF_F : 0.0f);
    return MAX ? warp_max(v) : warp_sum(v);
}

// ---- matrix × vector (decode): one warp per output row -------------------------------------
// Lane l reads chunks l, l+32, ...: a warp reads 32 consecutive blocks at a time, dequantizes
// them in registers and meets the activations as float4; a shuffle reduction ends the row.
constexpr int MV_WARPS = 4;

template <int TYPE>
__global__ void __launch_bounds__(MV_WARPS * 32)
matvec(float* __restrict__ out, const uint8_t* __restrict__ w, const float* __restrict__ x,
       int rows, int cols, long long rowBytes) {
    const int r = blockIdx.x * MV_WARPS + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (r >= rows) return;
    const uint8_t* row = w + (size_t) r * rowBytes;
    const int chunks = cols >> 5;
    float sum = 0.0f;
    for (int c = lane; c < chunks; c += 32) {
        float v[32];
        load_chunk<TYPE>(row, c, v);
        const float4* xp = (const float4*) (x + (size_t) c * 32);
#pragma unroll
        for (int i = 0; i < 8; i++) {
            float4 xv = __ldg(xp + i);
            sum += v[4 * i] * xv.x + v[4 * i + 1] * xv.y + v[4 * i + 2] * xv.z + v[4 * i + 3] * xv.w;
        }
    }
    sum = warp_sum(sum);
    if (lane == 0) out[r] = sum;
}

// Plain rows whose length is not a multiple of 32 (F32 ffn_down of stories260K has 172):
// lanes stride over elements instead of chunks.
template <int TYPE>
__global__ void __launch_bounds__(MV_WARPS * 32)
matvec_ragged(float* __restrict__ out, const uint8_t* __restrict__ w, const float* __restrict__ x,
              int rows, int cols, long long rowBytes) {
    const int r = blockIdx.x * MV_WARPS + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (r >= rows) return;
    const uint8_t* row = w + (size_t) r * rowBytes;
    float sum = 0.0f;
    for (int j = lane; j < cols; j += 32) sum += load_elem_t<TYPE>(row, j) * x[j];
    sum = warp_sum(sum);
    if (lane == 0) out[r] = sum;
}

// ---- matrix × matrix (prefill): shared-memory tiles ----------------------------------------
// A block computes MM_ROWS output rows for MM_TOKENS tokens. Per step of 32 columns, 64 threads
// dequantize one weight row chunk each into shared memory, all threads stage the activations,
// then each thread accumulates 8 outputs (one token, 8 rows) from shared memory.
constexpr int MM_ROWS = 64, MM_TOKENS = 32, MM_THREADS = 256;

template <int TYPE, bool RAGGED>
__global__ void __launch_bounds__(MM_THREADS)
matmat(float* __restrict__ out, const uint8_t* __restrict__ w, const float* __restrict__ x,
       int rows, int cols, long long rowBytes, int n) {
    __shared__ float ws[MM_ROWS][33];
    __shared__ float xs[MM_TOKENS][33];
    const int row0 = blockIdx.x * MM_ROWS, tok0 = blockIdx.y * MM_TOKENS;
    const int tid = threadIdx.x, t = tid & 31, rgroup = tid >> 5;  // 8 warps
    float acc[MM_ROWS / 8];
#pragma unroll
    for (int i = 0; i < MM_ROWS / 8; i++) acc[i] = 0.0f;
    const int chunks = (cols + 31) >> 5;
    for (int c = 0; c < chunks; c++) {
        if (tid < MM_ROWS) {
            float v[32];
            if (RAGGED && row0 + tid < rows) {
                const uint8_t* row = w + (size_t) (row0 + tid) * rowBytes;
#pragma unroll
                for (int i = 0; i < 32; i++) v[i] = c * 32 + i < cols ? load_elem_t<TYPE>(row, c * 32 + i) : 0.0f;
            } else if (row0 + tid < rows) {
                load_chunk<TYPE>(w + (size_t) (row0 + tid) * rowBytes, c, v);
            } else {
#pragma unroll
                for (int i = 0; i < 32; i++) v[i] = 0.0f;
            }
#pragma unroll
            for (int i = 0; i < 32; i++) ws[tid][i] = v[i];
        }
        for (int e = tid; e < MM_TOKENS * 32; e += MM_THREADS) {
            int tt = e >> 5, k = e & 31;
            xs[tt][k] = tok0 + tt < n && c * 32 + k < cols ? x[(size_t) (tok0 + tt) * cols + c * 32 + k] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < 32; k++) {
            float xv = xs[t][k];
#pragma unroll
            for (int i = 0; i < MM_ROWS / 8; i++) acc[i] += ws[rgroup + 8 * i][k] * xv;
        }
        __syncthreads();
    }
    if (tok0 + t < n) {
#pragma unroll
        for (int i = 0; i < MM_ROWS / 8; i++) {
            int r = row0 + rgroup + 8 * i;
            if (r < rows) out[(size_t) (tok0 + t) * rows + r] = acc[i];
        }
    }
}

// ---- embed: row tokens[i] of the table, dequantized; one thread per 32-element chunk -------
template <int TYPE>
__global__ void embed(float* __restrict__ out, const uint8_t* __restrict__ table, const int* __restrict__ tokens,
                      int cols, long long rowBytes, int n) {
    const int chunks = cols >> 5;
    const long long id = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= (long long) n * chunks) return;
    const int i = (int) (id / chunks), c = (int) (id % chunks);
    float v[32];
    load_chunk<TYPE>(table + (size_t) tokens[i] * rowBytes, c, v);
    float* o = out + (size_t) i * cols + c * 32;
#pragma unroll
    for (int k = 0; k < 32; k++) o[k] = v[k];
}

template <int TYPE>
__global__ void embed_ragged(float* __restrict__ out, const uint8_t* __restrict__ table, const int* __restrict__ tokens,
                             int cols, long long rowBytes, int n) {
    const long long id = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= (long long) n * cols) return;
    const int i = (int) (id / cols), e = (int) (id % cols);
    out[(size_t) i * cols + e] = load_elem_t<TYPE>(table + (size_t) tokens[i] * rowBytes, e);
}

// ---- RMSNorm: one block per row ------------------------------------------------------------
__global__ void rms_norm(float* out, const float* x, const uint8_t* __restrict__ w, int wType, int cols, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + (size_t) blockIdx.x * cols;
    float* orow = out + (size_t) blockIdx.x * cols;
    float ss = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) ss += xr[j] * xr[j];
    ss = block_reduce<false>(ss, scratch);
    const float inv = rsqrtf(ss / cols + eps);
    for (int j = threadIdx.x; j < cols; j += blockDim.x) orow[j] = xr[j] * inv * load_elem(wType, w, j);
}

// ---- RoPE: adjacent pairs (2j, 2j+1) of each head, angle pos·base^(−2j/ropeDim) -------------
__global__ void rope(float* x, int cols, int heads, int headDim, int ropeDim, float freqBase, int startPos, int n) {
    const int half = ropeDim / 2;
    const long long id = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= (long long) n * heads * half) return;
    const int j = (int) (id % half);
    const int h = (int) ((id / half) % heads);
    const int i = (int) (id / ((long long) half * heads));
    // Angles reach thousands of radians: computed in double so the float result is correctly rounded.
    const double ang = (double) (startPos + i) * pow((double) freqBase, -2.0 * j / ropeDim);
    double s, c;
    sincos(ang, &s, &c);
    float* p = x + (size_t) i * cols + (size_t) h * headDim + 2 * j;
    const float a = p[0], b = p[1];
    p[0] = a * (float) c - b * (float) s;
    p[1] = a * (float) s + b * (float) c;
}

// ---- attention ----------------------------------------------------------------------------
template <typename KT> __device__ __forceinline__ float kv_load(const KT* p);
template <> __device__ __forceinline__ float kv_load<float>(const float* p) { return *p; }
template <> __device__ __forceinline__ float kv_load<__half>(const __half* p) { return __half2float(*p); }
template <typename KT> __device__ __forceinline__ KT kv_store(float v);
template <> __device__ __forceinline__ float kv_store<float>(float v) { return v; }
template <> __device__ __forceinline__ __half kv_store<__half>(float v) { return __float2half_rn(v); }

// Rows k[i], v[i] into the layer's cache at positions startPos+i.
template <typename KT>
__global__ void kv_append(KT* ck, KT* cv, const float* __restrict__ k, const float* __restrict__ v,
                          int kvDim, int startPos, int n) {
    const long long id = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= (long long) n * kvDim) return;
    const size_t dst = (size_t) startPos * kvDim + id;
    ck[dst] = kv_store<KT>(k[id]);
    cv[dst] = kv_store<KT>(v[id]);
}

constexpr int ATT_THREADS = 128, ATT_TILE = 128, ATT_MAX_HEAD = 256;

// One block per (head, query row). Positions are visited in tiles: each warp scores positions
// against q held in shared memory, then every thread (one or two output dims each) folds the
// tile into a running softmax (max, sum, weighted V) so no score matrix is ever stored.
template <typename KT>
__global__ void __launch_bounds__(ATT_THREADS)
attention(float* __restrict__ out, const float* __restrict__ q, const KT* __restrict__ ck, const KT* __restrict__ cv,
          int qCols, int kvDim, int headDim, int group, int startPos, float scale) {
    __shared__ float qs[ATT_MAX_HEAD];
    __shared__ float sc[ATT_TILE];
    const int h = blockIdx.x, i = blockIdx.y, g = h / group;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = ATT_THREADS / 32;
    const float* qrow = q + (size_t) i * qCols + (size_t) h * headDim;
    for (int d = threadIdx.x; d < headDim; d += ATT_THREADS) qs[d] = qrow[d];
    __syncthreads();
    const int positions = startPos + i + 1;
    float m = -CUDART_INF_F, l = 0.0f, acc0 = 0.0f, acc1 = 0.0f;
    const int d0 = threadIdx.x, d1 = threadIdx.x + ATT_THREADS;
    for (int t0 = 0; t0 < positions; t0 += ATT_TILE) {
        const int tn = min(ATT_TILE, positions - t0);
        for (int p = warp; p < tn; p += warps) {
            const KT* krow = ck + (size_t) (t0 + p) * kvDim + (size_t) g * headDim;
            float s = 0.0f;
            for (int d = lane; d < headDim; d += 32) s += qs[d] * kv_load<KT>(krow + d);
            s = warp_sum(s);
            if (lane == 0) sc[p] = s * scale;
        }
        __syncthreads();
        float tm = m;
        for (int p = 0; p < tn; p++) tm = fmaxf(tm, sc[p]);
        const float corr = expf(m - tm);
        l *= corr; acc0 *= corr; acc1 *= corr;
        for (int p = 0; p < tn; p++) {
            const float wgt = expf(sc[p] - tm);
            l += wgt;
            const KT* vrow = cv + (size_t) (t0 + p) * kvDim + (size_t) g * headDim;
            if (d0 < headDim) acc0 += wgt * kv_load<KT>(vrow + d0);
            if (d1 < headDim) acc1 += wgt * kv_load<KT>(vrow + d1);
        }
        m = tm;
        __syncthreads();
    }
    float* orow = out + (size_t) i * qCols + (size_t) h * headDim;
    if (d0 < headDim) orow[d0] = acc0 / l;
    if (d1 < headDim) orow[d1] = acc1 / l;
}

// ---- element-wise and row-wise ------------------------------------------------------------
__global__ void swiglu(float* gate, const float* __restrict__ up, long long count) {
    const long long id = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (id >= count) return;
    const float g = gate[id];
    gate[id] = g / (1.0f + expf(-g)) * up[id];
}

__global__ void add(float* x, const float* y, long long count) {
    const long long id = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (id < count) x[id] += y[id];
}

__global__ void softmax(float* x, int cols) {
    __shared__ float scratch[32];
    float* r = x + (size_t) blockIdx.x * cols;
    float m = -CUDART_INF_F;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, r[j]);
    m = block_reduce<true>(m, scratch);
    float s = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float e = expf(r[j] - m);
        r[j] = e;
        s += e;
    }
    s = block_reduce<false>(s, scratch);
    const float inv = 1.0f / s;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) r[j] *= inv;
}
