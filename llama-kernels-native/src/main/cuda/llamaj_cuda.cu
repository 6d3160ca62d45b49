// The coarse C API behind dev.llamaj.kernels.cuda (JNA direct mapping, see CudaNative.java).
// Java records every Kernels call into a command buffer (CommandBuffer.java) and hands the
// whole list to llamaj_cuda_run in one call; this file interprets it on one stream.
// Every function returns 0 (or a non-null handle) on success; on failure the message, naming
// the failing call and cudaGetErrorString, is kept per thread for llamaj_cuda_last_error.
#include "kernels.cuh"
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API extern "C" __attribute__((visibility("default")))

static thread_local char g_error[1024];

static void set_error(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_error, sizeof g_error, fmt, ap);
    va_end(ap);
}

#define CHECK(call, ...)                                                                  \
    do {                                                                                  \
        cudaError_t e_ = (call);                                                          \
        if (e_ != cudaSuccess) {                                                          \
            char what_[256];                                                              \
            snprintf(what_, sizeof what_, __VA_ARGS__);                                   \
            set_error("%s: %s (%s)", what_, cudaGetErrorString(e_), cudaGetErrorName(e_)); \
            return -1;                                                                    \
        }                                                                                 \
    } while (0)

// Opcodes and their operands; CommandBuffer.java writes exactly these (ints after the opcode;
// longs = device addresses, consumed in order).
enum Op : int {
    OP_EMBED = 1,      // type, cols, n, payloadOffset(tokens)       ; out, table
    OP_RMS_NORM = 2,   // wType, cols, n, epsBits                     ; out, x, w
    OP_MATMUL = 3,     // type, rows, cols, n                         ; out, w, x
    OP_ROPE = 4,       // cols, heads, headDim, ropeDim, baseBits, startPos, n ; x
    OP_ATTENTION = 5,  // cacheF16, kvDim, qCols, startPos, n, heads, kvHeads ; out, q, k, v, cacheK, cacheV (layer base)
    OP_SWIGLU = 6,     // count                                       ; gate, up
    OP_ADD = 7,        // count                                       ; x, y
    OP_SOFTMAX = 8,    // cols, n                                     ; x
    OP_COPY = 9,       // count                                       ; dst, src
    OP_WRITE = 10,     // count, payloadOffset                        ; dst
};

struct Context {
    int device;
    cudaStream_t stream;
    float* payload;        // device copy of the command buffer's float payload
    size_t payloadCap;     // in floats
    bool syncEachOp;       // LLAMAJ_CUDA_SYNC=1: find the failing op of an asynchronous error
};

static unsigned blocks(long long count, int threads) { return (unsigned) ((count + threads - 1) / threads); }

static float bits_to_float(int b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

// ---- probing and context -------------------------------------------------------------------

// info: [0] status (0 ok, 1 no libcuda, 2 driver query failed, 3 no device, 4 driver too old,
// 5 compute capability too low), [1] driver CUDA version, [2] runtime version, [3] devices,
// [4..5] compute capability of device 0.
API int llamaj_cuda_probe(int* info) {
    memset(info, 0, 6 * sizeof(int));
    // The runtime is linked statically and opens the driver library itself; check it first so
    // "no driver" is told apart from "no device".
    void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char* why = dlerror();
        set_error("cannot load libcuda.so.1, the NVIDIA driver's library (%s)", why ? why : "not found");
        return info[0] = 1;
    }
    int runtime = 0, driver = 0, count = 0;
    cudaRuntimeGetVersion(&runtime);
    info[2] = runtime;
    cudaError_t e = cudaDriverGetVersion(&driver);
    info[1] = driver;
    if (e != cudaSuccess) {
        set_error("cudaDriverGetVersion: %s", cudaGetErrorString(e));
        return info[0] = 2;
    }
    if (driver / 1000 < runtime / 1000) {
        set_error("the NVIDIA driver supports CUDA %d.%d; this library needs CUDA %d.x (update the driver)",
                  driver / 1000, driver % 1000 / 10, runtime / 1000);
        return info[0] = 4;
    }
    e = cudaGetDeviceCount(&count);
    info[3] = count;
    if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) {
        set_error("the NVIDIA driver is loaded but reports no CUDA device");
        return info[0] = 3;
    }
    if (e == cudaErrorInsufficientDriver) {
        set_error("cudaGetDeviceCount: %s (driver supports CUDA %d.%d, library built with %d.%d)",
                  cudaGetErrorString(e), driver / 1000, driver % 1000 / 10, runtime / 1000, runtime % 1000 / 10);
        return info[0] = 4;
    }
    if (e != cudaSuccess) {
        set_error("cudaGetDeviceCount: %s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
        return info[0] = 2;
    }
    int major = 0, minor = 0;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0);
    info[4] = major;
    info[5] = minor;
    if (major < 8) {
        set_error("device 0 has compute capability %d.%d; this library is built for 8.0 and newer", major, minor);
        return info[0] = 5;
    }
    return 0;
}

API int llamaj_cuda_device_name(int device, char* buf, int len) {
    cudaDeviceProp p;
    CHECK(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties(%d)", device);
    snprintf(buf, len, "%s", p.name);
    return 0;
}

API int llamaj_cuda_last_error(char* buf, int len) {
    snprintf(buf, len, "%s", g_error);
    return (int) strlen(buf);
}

API int64_t llamaj_cuda_create(int device) {
    cudaError_t e = cudaSetDevice(device);
    if (e != cudaSuccess) {
        set_error("cudaSetDevice(%d): %s (%s)", device, cudaGetErrorString(e), cudaGetErrorName(e));
        return 0;
    }
    Context* ctx = (Context*) calloc(1, sizeof(Context));
    ctx->device = device;
    const char* sync = getenv("LLAMAJ_CUDA_SYNC");
    ctx->syncEachOp = sync != NULL && strcmp(sync, "1") == 0;
    e = cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) {
        set_error("cudaStreamCreate: %s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
        free(ctx);
        return 0;
    }
    return (int64_t) ctx;
}

API int llamaj_cuda_destroy(int64_t handle) {
    Context* ctx = (Context*) handle;
    cudaSetDevice(ctx->device);
    cudaStreamSynchronize(ctx->stream);
    if (ctx->payload) cudaFree(ctx->payload);
    cudaStreamDestroy(ctx->stream);
    free(ctx);
    return 0;
}

// out: [0] free bytes, [1] total bytes on the context's device.
API int llamaj_cuda_mem_info(int64_t handle, int64_t* out) {
    Context* ctx = (Context*) handle;
    CHECK(cudaSetDevice(ctx->device), "cudaSetDevice(%d)", ctx->device);
    size_t freeBytes = 0, total = 0;
    CHECK(cudaMemGetInfo(&freeBytes, &total), "cudaMemGetInfo");
    out[0] = (int64_t) freeBytes;
    out[1] = (int64_t) total;
    return 0;
}

// Zero-filled device memory; 0 on failure. The memset goes on the context's stream and is
// waited for: that stream does not synchronise with the legacy default stream.
API int64_t llamaj_cuda_alloc(int64_t handle, int64_t bytes) {
    Context* ctx = (Context*) handle;
    void* p = NULL;
    cudaSetDevice(ctx->device);
    cudaError_t e = cudaMalloc(&p, (size_t) bytes);
    if (e == cudaSuccess) e = cudaMemsetAsync(p, 0, (size_t) bytes, ctx->stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(ctx->stream);
    if (e != cudaSuccess) {
        size_t freeBytes = 0, total = 0;
        cudaMemGetInfo(&freeBytes, &total);
        set_error("cudaMalloc(%lld bytes, %zu free of %zu): %s (%s)", (long long) bytes, freeBytes, total,
                  cudaGetErrorString(e), cudaGetErrorName(e));
        if (p) cudaFree(p);
        return 0;
    }
    return (int64_t) p;
}

API int llamaj_cuda_free(int64_t handle, int64_t ptr) {
    Context* ctx = (Context*) handle;
    CHECK(cudaSetDevice(ctx->device), "cudaSetDevice(%d)", ctx->device);
    CHECK(cudaStreamSynchronize(ctx->stream), "cudaStreamSynchronize before cudaFree");
    CHECK(cudaFree((void*) ptr), "cudaFree");
    return 0;
}

// Copies host bytes (a native address: the mapped model file) to device memory and waits:
// on the context's stream, since a plain cudaMemcpy from pageable memory may return before its
// DMA ends and our non-blocking stream would not wait for it.
API int llamaj_cuda_upload(int64_t handle, int64_t dst, int64_t hostAddress, int64_t bytes) {
    Context* ctx = (Context*) handle;
    CHECK(cudaSetDevice(ctx->device), "cudaSetDevice(%d)", ctx->device);
    CHECK(cudaMemcpyAsync((void*) dst, (const void*) hostAddress, (size_t) bytes, cudaMemcpyHostToDevice, ctx->stream),
          "cudaMemcpyAsync upload of %lld bytes", (long long) bytes);
    CHECK(cudaStreamSynchronize(ctx->stream), "upload of %lld bytes", (long long) bytes);
    return 0;
}

// ---- the command buffer ---------------------------------------------------------------------

static const char* op_name(int op) {
    static const char* names[] = {"?", "embed", "rmsNorm", "matmul", "rope", "attention",
                                  "swiglu", "add", "softmax", "copyRows", "write"};
    return op >= 1 && op <= 10 ? names[op] : "unknown op";
}

#define DISPATCH_TYPE(type, LAUNCH)                         \
    switch (type) {                                         \
        case T_F32: LAUNCH(T_F32); break;                   \
        case T_F16: LAUNCH(T_F16); break;                   \
        case T_BF16: LAUNCH(T_BF16); break;                 \
        case T_Q8_0: LAUNCH(T_Q8_0); break;                 \
        case T_Q4_0: LAUNCH(T_Q4_0); break;                 \
        case T_Q4_1: LAUNCH(T_Q4_1); break;                 \
        case T_Q5_0: LAUNCH(T_Q5_0); break;                 \
        case T_Q5_1: LAUNCH(T_Q5_1); break;                 \
        case T_Q2_K: LAUNCH(T_Q2_K); break;                 \
        case T_Q3_K: LAUNCH(T_Q3_K); break;                 \
        case T_Q4_K: LAUNCH(T_Q4_K); break;                 \
        case T_Q5_K: LAUNCH(T_Q5_K); break;                 \
        case T_Q6_K: LAUNCH(T_Q6_K); break;                 \
        default: set_error("weight type %d is not supported on the device", type); return -1; \
    }

#define DISPATCH_PLAIN(type, LAUNCH)                        \
    switch (type) {                                         \
        case T_F32: LAUNCH(T_F32); break;                   \
        case T_F16: LAUNCH(T_F16); break;                   \
        case T_BF16: LAUNCH(T_BF16); break;                 \
        default: set_error("weight type %d needs rows of a multiple of 32", type); return -1; \
    }

// Launches one op; advances the cursors. Returns 0 or -1 (error set).
static int launch(Context* ctx, const int* ops, int* ip, const int64_t* ptrs, int* lp) {
    cudaStream_t st = ctx->stream;
    const int* a = ops + *ip + 1;
    const int64_t* p = ptrs + *lp;
    const int op = ops[*ip];
    switch (op) {
        case OP_EMBED: {
            const int type = a[0], cols = a[1], n = a[2], off = a[3];
            const long long rb = row_bytes(type, cols);
            const int* tokens = (const int*) (ctx->payload + off);
            if (cols % 32 == 0) {
                const long long threads = (long long) n * (cols / 32);
#define L_EMBED(T) embed<T><<<blocks(threads, 256), 256, 0, st>>>((float*) p[0], (const uint8_t*) p[1], tokens, cols, rb, n)
                DISPATCH_TYPE(type, L_EMBED)
            } else {
                const long long threads = (long long) n * cols;
#define L_EMBED_R(T) embed_ragged<T><<<blocks(threads, 256), 256, 0, st>>>((float*) p[0], (const uint8_t*) p[1], tokens, cols, rb, n)
                DISPATCH_PLAIN(type, L_EMBED_R)
            }
            *ip += 5; *lp += 2;
            break;
        }
        case OP_RMS_NORM: {
            const int wType = a[0], cols = a[1], n = a[2];
            rms_norm<<<n, 256, 0, st>>>((float*) p[0], (const float*) p[1], (const uint8_t*) p[2], wType, cols, bits_to_float(a[3]));
            *ip += 5; *lp += 3;
            break;
        }
        case OP_MATMUL: {
            const int type = a[0], rows = a[1], cols = a[2], n = a[3];
            const long long rb = row_bytes(type, cols);
            float* out = (float*) p[0];
            const uint8_t* w = (const uint8_t*) p[1];
            const float* x = (const float*) p[2];
            const bool ragged = cols % 32 != 0;
            if (n <= 4) {
                // Decode (and tiny batches): bandwidth-bound, one pass over the weights per token.
                for (int t = 0; t < n; t++) {
#define L_MV(T) matvec<T><<<blocks(rows, MV_WARPS), MV_WARPS * 32, 0, st>>>(out + (size_t) t * rows, w, x + (size_t) t * cols, rows, cols, rb)
#define L_MV_R(T) matvec_ragged<T><<<blocks(rows, MV_WARPS), MV_WARPS * 32, 0, st>>>(out + (size_t) t * rows, w, x + (size_t) t * cols, rows, cols, rb)
                    if (ragged) {
                        DISPATCH_PLAIN(type, L_MV_R)
                    } else {
                        DISPATCH_TYPE(type, L_MV)
                    }
                }
            } else {
                dim3 grid(blocks(rows, MM_ROWS), blocks(n, MM_TOKENS));
#define L_MM(T) matmat<T, false><<<grid, MM_THREADS, 0, st>>>(out, w, x, rows, cols, rb, n)
#define L_MM_R(T) matmat<T, true><<<grid, MM_THREADS, 0, st>>>(out, w, x, rows, cols, rb, n)
                if (ragged) {
                    DISPATCH_PLAIN(type, L_MM_R)
                } else {
                    DISPATCH_TYPE(type, L_MM)
                }
            }
            *ip += 5; *lp += 3;
            break;
        }
        case OP_ROPE: {
            const int cols = a[0], heads = a[1], headDim = a[2], ropeDim = a[3], startPos = a[5], n = a[6];
            const long long threads = (long long) n * heads * (ropeDim / 2);
            rope<<<blocks(threads, 256), 256, 0, st>>>((float*) p[0], cols, heads, headDim, ropeDim, bits_to_float(a[4]), startPos, n);
            *ip += 8; *lp += 1;
            break;
        }
        case OP_ATTENTION: {
            const int f16 = a[0], kvDim = a[1], qCols = a[2], startPos = a[3], n = a[4], heads = a[5], kvHeads = a[6];
            const int headDim = qCols / heads, group = heads / kvHeads;
            const float scale = 1.0f / sqrtf((float) headDim);
            const long long count = (long long) n * kvDim;
            dim3 grid(heads, n);
            if (f16) {
                kv_append<__half><<<blocks(count, 256), 256, 0, st>>>((__half*) p[4], (__half*) p[5], (const float*) p[2], (const float*) p[3], kvDim, startPos, n);
                attention<__half><<<grid, ATT_THREADS, 0, st>>>((float*) p[0], (const float*) p[1], (const __half*) p[4], (const __half*) p[5], qCols, kvDim, headDim, group, startPos, scale);
            } else {
                kv_append<float><<<blocks(count, 256), 256, 0, st>>>((float*) p[4], (float*) p[5], (const float*) p[2], (const float*) p[3], kvDim, startPos, n);
                attention<float><<<grid, ATT_THREADS, 0, st>>>((float*) p[0], (const float*) p[1], (const float*) p[4], (const float*) p[5], qCols, kvDim, headDim, group, startPos, scale);
            }
            *ip += 8; *lp += 6;
            break;
        }
        case OP_SWIGLU: {
            const long long count = (long long) (unsigned) a[0];
            swiglu<<<blocks(count, 256), 256, 0, st>>>((float*) p[0], (const float*) p[1], count);
            *ip += 2; *lp += 2;
            break;
        }
        case OP_ADD: {
            const long long count = (long long) (unsigned) a[0];
            add<<<blocks(count, 256), 256, 0, st>>>((float*) p[0], (const float*) p[1], count);
            *ip += 2; *lp += 2;
            break;
        }
        case OP_SOFTMAX: {
            softmax<<<a[1], 256, 0, st>>>((float*) p[0], a[0]);
            *ip += 3; *lp += 1;
            break;
        }
        case OP_COPY: {
            CHECK(cudaMemcpyAsync((void*) p[0], (const void*) p[1], (size_t) (unsigned) a[0] * 4, cudaMemcpyDeviceToDevice, st),
                  "cudaMemcpyAsync (copyRows)");
            *ip += 2; *lp += 2;
            break;
        }
        case OP_WRITE: {
            CHECK(cudaMemcpyAsync((void*) p[0], ctx->payload + a[1], (size_t) (unsigned) a[0] * 4, cudaMemcpyDeviceToDevice, st),
                  "cudaMemcpyAsync (write)");
            *ip += 3; *lp += 1;
            break;
        }
        default:
            set_error("command buffer: unknown opcode %d at int %d", op, *ip);
            return -1;
    }
    return 0;
}

// Runs the recorded ops in order on the context's stream, then (readCount > 0) copies readCount
// floats from device address readSrc into readDst and waits for everything to finish.
API int llamaj_cuda_run(int64_t handle, const int* ops, int opInts, const int64_t* ptrs, int ptrCount,
                        const float* payload, int payloadCount, int64_t readSrc, float* readDst, int readCount) {
    Context* ctx = (Context*) handle;
    CHECK(cudaSetDevice(ctx->device), "cudaSetDevice(%d)", ctx->device);
    if (payloadCount > 0) {
        if ((size_t) payloadCount > ctx->payloadCap) {
            if (ctx->payload) CHECK(cudaFree(ctx->payload), "cudaFree (payload)");
            ctx->payload = NULL;
            size_t cap = (size_t) payloadCount * 2;
            CHECK(cudaMalloc(&ctx->payload, cap * 4), "cudaMalloc (%zu bytes for the command payload)", cap * 4);
            ctx->payloadCap = cap;
        }
        // The stream has finished earlier runs (each run ends synchronized), so the payload is free.
        CHECK(cudaMemcpyAsync(ctx->payload, payload, (size_t) payloadCount * 4, cudaMemcpyHostToDevice, ctx->stream),
              "cudaMemcpyAsync (command payload, %d floats)", payloadCount);
    }
    int ip = 0, lp = 0, index = 0;
    while (ip < opInts) {
        const int op = ops[ip];
        if (launch(ctx, ops, &ip, ptrs, &lp) != 0) {
            char prev[sizeof g_error];
            snprintf(prev, sizeof prev, "%s", g_error);
            set_error("op %d (%s): %s", index, op_name(op), prev);
            return -1;
        }
        CHECK(cudaGetLastError(), "launching op %d (%s)", index, op_name(op));
        if (ctx->syncEachOp) CHECK(cudaStreamSynchronize(ctx->stream), "running op %d (%s)", index, op_name(op));
        if (lp > ptrCount) {
            set_error("command buffer: op %d (%s) reads past the %d addresses given", index, op_name(op), ptrCount);
            return -1;
        }
        index++;
    }
    if (readCount > 0) {
        CHECK(cudaMemcpyAsync(readDst, (const void*) readSrc, (size_t) readCount * 4, cudaMemcpyDeviceToHost, ctx->stream),
              "cudaMemcpyAsync (reading %d floats back)", readCount);
    }
    CHECK(cudaStreamSynchronize(ctx->stream),
          "running %d ops (an asynchronous kernel error; set LLAMAJ_CUDA_SYNC=1 to find the op)", index);
    return 0;
}
