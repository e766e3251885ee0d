/*
 * Certified-reader simulator, part 2: a stand-in for the reader vendor's photo decoder
 * library (libwlt), with the ABI of the common Linux decoders:
 *
 *     int unpack(char *src, char *dst, int bmp_save);
 *
 * src is the 1024-byte photo block SDT_ReadBaseMsg returned. It returns 1 on success and
 * anything else on failure. With bmp_save = 0 it writes the photo into dst as the image of a
 * BMP file: 102x126 pixels, 24 bits, 38862 bytes (a 54-byte header, then bottom-up rows of
 * 306 bytes padded to 308); dst must hold 38862 bytes.
 *
 * Real decoders called with bmp_save = 1 write a .bmp FILE instead (often a fixed name such
 * as zp.bmp in the working directory or next to the photo file; some take its path). This
 * stand-in, with bmp_save = 1, takes dst as the NUL-terminated path of the file to write
 * (so a caller can give it /proc/self/fd/N of an in-memory file and keep the photo off disk).
 *
 * THIS IS A STAND-IN. Real photo blocks are in the vendor's proprietary compressed "WLT"
 * format, which this does not implement. The block this decoder understands is made up by
 * sdtapi_stub.c (magic "SIMWLT01", a photo id, filler, an FNV-1a hash: see there), and the
 * "decoded" photo is chosen by the photo id:
 *
 *   1. a photo given with wlt_stub_add_photo(id, bmp, len) (up to 16, kept in memory);
 *   2. else the file <dir>/<id>.bmp, dir being wlt_stub_set_photo_dir(dir) or the
 *      environment variable STUB_WLT_PHOTO_DIR (read when the library is loaded);
 *   3. else (no photo known for that id) a synthetic bitmap made from the id: deterministic
 *      stripes and gradients, no face in it.
 * Photos given (1 and 2) must be 102x126 24-bit BMP images of exactly 38862 bytes, as
 * Pillow writes them from an RGB image.
 *
 * Return codes: 1 ok; 0 the decoder "fails" (mode fail); -1 a NULL argument; -2 not a
 * stand-in photo block (wrong magic); -3 a damaged block (its hash does not fit); -4 the
 * file (bmp_save = 1) cannot be written; -5 the photo file for the id is not a usable BMP.
 *
 * Modes, from the environment variable STUB_WLT_MODE or wlt_stub_set_mode(name):
 *   normal      as above
 *   fail        unpack returns 0
 *   hang        unpack does not return until the mode changes
 *   bad_bitmap  unpack returns 1 but the bitmap's header says 100 pixels wide
 * wlt_stub_reset() forgets the photos given and the directory and sets mode normal;
 * wlt_stub_calls() counts unpack calls.
 *
 * Built by simulators/certified_reader/build.py (gcc -shared -fPIC -std=c11 -O1).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum mode { NORMAL, FAIL, HANG, BAD_BITMAP };
static const char *const MODE_NAMES[] = {"normal", "fail", "hang", "bad_bitmap"};
#define MODE_COUNT (sizeof MODE_NAMES / sizeof MODE_NAMES[0])

#define PHOTO_LEN 1024
#define WIDTH 102
#define HEIGHT 126
#define ROW_LEN 308 /* 102 * 3 = 306, padded to a multiple of 4 */
#define HEADER_LEN 54
#define BMP_LEN (HEADER_LEN + ROW_LEN * HEIGHT) /* 38862 */
#define MAX_PHOTOS 16
#define DIR_MAX 4096
static const unsigned char PHOTO_MAGIC[8] = {'S', 'I', 'M', 'W', 'L', 'T', '0', '1'};

struct photo {
    int used;
    uint32_t id;
    unsigned char bmp[BMP_LEN];
};

static volatile int g_mode = NORMAL;
static volatile int g_calls = 0;
static struct photo g_photos[MAX_PHOTOS];
static char g_dir[DIR_MAX];

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v & 0xFF);
    p[1] = (unsigned char)((v >> 8) & 0xFF);
    p[2] = (unsigned char)((v >> 16) & 0xFF);
    p[3] = (unsigned char)((v >> 24) & 0xFF);
}

static uint32_t fnv1a(const unsigned char *p, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* A 102x126 24-bit BMP image (bottom-up, biHeight 126 or top-down, -126). */
static int bmp_ok(const unsigned char *b, size_t len) {
    if (len != BMP_LEN || b[0] != 'B' || b[1] != 'M') return 0;
    int32_t height = (int32_t)le32(b + 22);
    return le32(b + 2) == BMP_LEN && le32(b + 10) == HEADER_LEN && le32(b + 14) == 40
           && le32(b + 18) == WIDTH && (height == HEIGHT || height == -HEIGHT)
           && (b[26] | b[27] << 8) == 1 && (b[28] | b[29] << 8) == 24 && le32(b + 30) == 0;
}

static void bmp_header(unsigned char *b) {
    memset(b, 0, HEADER_LEN);
    b[0] = 'B';
    b[1] = 'M';
    put_le32(b + 2, BMP_LEN);
    put_le32(b + 10, HEADER_LEN);
    put_le32(b + 14, 40);
    put_le32(b + 18, WIDTH);
    put_le32(b + 22, HEIGHT);
    b[26] = 1;  /* planes */
    b[28] = 24; /* bits per pixel */
    put_le32(b + 34, ROW_LEN * HEIGHT);
    put_le32(b + 38, 3780); /* 96 dpi */
    put_le32(b + 42, 3780);
}

/* Stripes and gradients from the id: no face to find in it. */
static void synthetic(unsigned char *b, uint32_t id) {
    bmp_header(b);
    uint32_t seed = (id * 2654435761u) ^ 0x9E3779B9u;
    for (int y = 0; y < HEIGHT; y++) {
        unsigned char *row = b + HEADER_LEN + (size_t)(HEIGHT - 1 - y) * ROW_LEN;
        for (int x = 0; x < WIDTH; x++) {
            int band = ((x + (int)(seed % 13u)) / 17 + y / 21) & 1;
            row[3 * x] = (unsigned char)(x * 2 + (seed & 0xFF));                 /* blue */
            row[3 * x + 1] = (unsigned char)(y * 2 + ((seed >> 8) & 0xFF));      /* green */
            row[3 * x + 2] = (unsigned char)(band ? 200 : 40 + ((seed >> 16) & 0x3F)); /* red */
        }
        row[306] = row[307] = 0;
    }
}

/* 0 ok, -5 the file exists but is no usable BMP, 1 no such file. */
static int photo_from_dir(unsigned char *b, uint32_t id) {
    if (g_dir[0] == '\0') return 1;
    char path[DIR_MAX + 32];
    snprintf(path, sizeof path, "%s/%u.bmp", g_dir, (unsigned)id);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 1;
    size_t n = fread(b, 1, BMP_LEN, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    return n == BMP_LEN && !extra && bmp_ok(b, n) ? 0 : -5;
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- test controls ---- */

int wlt_stub_set_mode(const char *name) {
    for (size_t i = 0; name != NULL && i < MODE_COUNT; i++) {
        if (strcmp(name, MODE_NAMES[i]) == 0) {
            g_mode = (int)i;
            return 0;
        }
    }
    return -1;
}

int wlt_stub_set_photo_dir(const char *dir) {
    if (dir == NULL) {
        g_dir[0] = '\0';
        return 0;
    }
    if (strlen(dir) >= DIR_MAX) return -1;
    strcpy(g_dir, dir);
    return 0;
}

/* 0 ok, -1 not a 102x126 24-bit BMP of 38862 bytes, -2 no room left. */
int wlt_stub_add_photo(unsigned int id, const unsigned char *bmp, int len) {
    if (bmp == NULL || len < 0 || !bmp_ok(bmp, (size_t)len)) return -1;
    struct photo *slot = NULL;
    for (int i = 0; i < MAX_PHOTOS; i++) {
        if (g_photos[i].used && g_photos[i].id == id) {
            slot = &g_photos[i];
            break;
        }
        if (!g_photos[i].used && slot == NULL) slot = &g_photos[i];
    }
    if (slot == NULL) return -2;
    slot->used = 1;
    slot->id = id;
    memcpy(slot->bmp, bmp, BMP_LEN);
    return 0;
}

void wlt_stub_reset(void) {
    g_mode = NORMAL;
    g_calls = 0;
    g_dir[0] = '\0';
    memset(g_photos, 0, sizeof g_photos);
}

int wlt_stub_calls(void) { return g_calls; }

__attribute__((constructor)) static void wlt_stub_load(void) {
    wlt_stub_reset();
    wlt_stub_set_mode(getenv("STUB_WLT_MODE"));
    const char *dir = getenv("STUB_WLT_PHOTO_DIR");
    if (dir != NULL) wlt_stub_set_photo_dir(dir);
}

/* ---- the decoder's API ---- */

int unpack(char *src, char *dst, int bmp_save) {
    g_calls++;
    while (g_mode == HANG) pause_ms(1); /* "hung" until a test changes the mode */
    if (g_mode == FAIL) return 0;
    if (src == NULL || dst == NULL) return -1;
    const unsigned char *block = (const unsigned char *)src;
    if (memcmp(block, PHOTO_MAGIC, sizeof PHOTO_MAGIC) != 0) return -2;
    if (fnv1a(block, PHOTO_LEN - 4) != le32(block + PHOTO_LEN - 4)) return -3;
    uint32_t id = le32(block + 8);

    unsigned char bmp[BMP_LEN];
    int found = 0;
    for (int i = 0; i < MAX_PHOTOS && !found; i++) {
        if (g_photos[i].used && g_photos[i].id == id) {
            memcpy(bmp, g_photos[i].bmp, BMP_LEN);
            found = 1;
        }
    }
    if (!found) {
        int status = photo_from_dir(bmp, id);
        if (status < 0) return status;
        if (status > 0) synthetic(bmp, id);
    }
    if (g_mode == BAD_BITMAP) put_le32(bmp + 18, 100);

    if (bmp_save == 0) {
        memcpy(dst, bmp, BMP_LEN);
        return 1;
    }
    FILE *f = fopen(dst, "wb");
    if (f == NULL) return -4;
    size_t written = fwrite(bmp, 1, BMP_LEN, f);
    int closed = fclose(f);
    return written == BMP_LEN && closed == 0 ? 1 : -4;
}
