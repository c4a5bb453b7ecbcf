/* Baseline for bench/bench_interp.py: a plain Brainfuck interpreter with run-length folding of
 * +- and <> and precomputed jumps, no loop optimizations, no bounds checks.
 * usage: c_baseline PROGRAM.b [REPEAT]   runs the program REPEAT times on a fresh tape, writes
 * the first run's output to stdout and the seconds spent executing (parsing excluded) to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ADD, MOVE, OUT, IN, JZ, JNZ };
typedef struct { int op, arg; } Op;

static int compile(const char *src, long n, Op *code) {
    int nc = 0, sp = 0, *stack = malloc(sizeof(int) * (n + 1));
    for (long i = 0; i < n; i++) {
        char c = src[i];
        if (c == '+' || c == '-' || c == '<' || c == '>') {
            int is_add = (c == '+' || c == '-'), d = 0;
            for (; i < n; i++) {
                c = src[i];
                if (is_add && (c == '+' || c == '-')) d += c == '+' ? 1 : -1;
                else if (!is_add && (c == '<' || c == '>')) d += c == '>' ? 1 : -1;
                else if (strchr("+-<>.,[]", c)) break;
            }
            i--;
            code[nc++] = (Op){is_add ? ADD : MOVE, d};
        } else if (c == '.') code[nc++] = (Op){OUT, 0};
        else if (c == ',') code[nc++] = (Op){IN, 0};
        else if (c == '[') { stack[sp++] = nc; code[nc++] = (Op){JZ, 0}; }
        else if (c == ']') { int j = stack[--sp]; code[j].arg = nc + 1; code[nc++] = (Op){JNZ, j + 1}; }
    }
    free(stack);
    return nc;
}

static void execute(const Op *code, int nc, unsigned char *tape, FILE *out) {
    unsigned char *p = tape;
    for (int ip = 0; ip < nc;) {
        const Op o = code[ip];
        switch (o.op) {
        case ADD: *p += o.arg; ip++; break;
        case MOVE: p += o.arg; ip++; break;
        case OUT: if (out) putc_unlocked(*p, out); ip++; break;
        case IN: { int ch = getchar(); *p = ch == EOF ? 0 : ch; ip++; break; }
        case JZ: ip = *p ? ip + 1 : o.arg; break;
        case JNZ: ip = *p ? o.arg : ip + 1; break;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s PROGRAM.b [REPEAT]\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    char *src = malloc(n + 1);
    if (fread(src, 1, n, f) != (size_t)n) return 2;
    fclose(f);
    int repeat = argc > 2 ? atoi(argv[2]) : 1;
    Op *code = malloc(sizeof(Op) * (n + 1));
    int nc = compile(src, n, code);
    unsigned char *tape = malloc(30000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < repeat; r++) {
        memset(tape, 0, 30000);
        execute(code, nc, tape, r == 0 ? stdout : NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fflush(stdout);
    fprintf(stderr, "%.9f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
    return 0;
}
