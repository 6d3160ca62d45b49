// Host-side check of the device's weight readers (formats.cuh), for machines without a GPU:
//   decode_formats TYPE_ID ROWS COLS < raw-rows > floats
// reads ROWS rows of COLS elements in ggml type TYPE_ID from stdin and writes them as
// little-endian float32, decoded exactly as the kernels decode them (32-element chunks where
// the row allows, the element path for other plain rows). FormatsOnHostTest drives it.
#include "../../main/cuda/formats.cuh"
#include <stdio.h>
#include <stdlib.h>
#include <vector>

template <int TYPE>
static void decode_row(const uint8_t* row, int cols, float* out) {
    if (cols % 32 == 0) {
        for (int c = 0; c < cols / 32; c++) load_chunk<TYPE>(row, c, out + 32 * c);
    } else {
        for (int j = 0; j < cols; j++) out[j] = load_elem_t<TYPE>(row, j);
    }
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: decode_formats TYPE_ID ROWS COLS < raw > floats\n");
        return 2;
    }
    const int type = atoi(argv[1]), rows = atoi(argv[2]), cols = atoi(argv[3]);
    const long long rb = row_bytes(type, cols);
    if (rb < 0) {
        fprintf(stderr, "unsupported type %d\n", type);
        return 2;
    }
    // 16-byte aligned rows, as cudaMalloc gives the device
    std::vector<uint4> buf((size_t) (rb * rows + 15) / 16 + 1);
    uint8_t* data = (uint8_t*) buf.data();
    if (fread(data, 1, (size_t) (rb * rows), stdin) != (size_t) (rb * rows)) {
        fprintf(stderr, "short input: expected %lld bytes\n", rb * rows);
        return 2;
    }
    std::vector<float> out((size_t) cols);
    for (int r = 0; r < rows; r++) {
        const uint8_t* row = data + (size_t) r * rb;
        switch (type) {
            case T_F32: decode_row<T_F32>(row, cols, out.data()); break;
            case T_F16: decode_row<T_F16>(row, cols, out.data()); break;
            case T_BF16: decode_row<T_BF16>(row, cols, out.data()); break;
            case T_Q8_0: decode_row<T_Q8_0>(row, cols, out.data()); break;
            case T_Q4_0: decode_row<T_Q4_0>(row, cols, out.data()); break;
            case T_Q4_1: decode_row<T_Q4_1>(row, cols, out.data()); break;
            case T_Q5_0: decode_row<T_Q5_0>(row, cols, out.data()); break;
            case T_Q5_1: decode_row<T_Q5_1>(row, cols, out.data()); break;
            case T_Q2_K: decode_row<T_Q2_K>(row, cols, out.data()); break;
            case T_Q3_K: decode_row<T_Q3_K>(row, cols, out.data()); break;
            case T_Q4_K: decode_row<T_Q4_K>(row, cols, out.data()); break;
            case T_Q5_K: decode_row<T_Q5_K>(row, cols, out.data()); break;
            case T_Q6_K: decode_row<T_Q6_K>(row, cols, out.data()); break;
            default: fprintf(stderr, "unsupported type %d\n", type); return 2;
        }
        fwrite(out.data(), 4, (size_t) cols, stdout);
    }
    return 0;
}
