/*
 * Certified-reader simulator, part 1: a stand-in for a certified ID reader's sdtapi-style
 * vendor library (the reader with its security module, SAM). Same ABI as the real sdtapi
 * libraries for the calls devices/vendor_reader.py makes:
 *
 *     int SDT_OpenPort(int port);
 *     int SDT_ClosePort(int port);
 *     int SDT_StartFindIDCard(int port, unsigned char *mana_info, int if_open);
 *     int SDT_SelectIDCard(int port, unsigned char *mana_msg, int if_open);
 *     int SDT_ReadBaseMsg(int port, unsigned char *text, unsigned int *text_len,
 *                         unsigned char *photo, unsigned int *photo_len, int if_open);
 *     int SDT_GetSAMIDToStr(int port, char *samid, int if_open);
 *
 * if_open = 0: the port was opened with SDT_OpenPort; if_open = 1: the call opens the port
 * itself and closes it before it returns (as the real libraries do).
 *
 * Built by simulators/certified_reader/build.py (gcc -shared -fPIC -std=c11 -O1). Compiled
 * with -DSDTAPI_STUB_WITHOUT_SAMID it lacks SDT_GetSAMIDToStr, like older libraries.
 *
 * Nothing here is a real card, person or SAM: every holder is invented, and the photo block
 * is NOT the vendor's WLT format (which is proprietary) but a made-up stand-in that only
 * wlt_stub.c, the decoder stand-in, understands:
 *
 *     bytes 0..7      magic "SIMWLT01"
 *     bytes 8..11     photo id, unsigned 32-bit little-endian
 *     bytes 12..1019  filler: xorshift32 stream seeded with (id * 2654435761) ^ 0x57AC3D1F
 *                     (a seed of 0 becomes 1), one low byte per step
 *     bytes 1020..1023  FNV-1a 32-bit hash of bytes 0..1019, little-endian
 *
 * The decoder turns a photo id into a bitmap (a photo given to it, or a synthetic one):
 * see wlt_stub.c.
 *
 * WHAT IT PLAYS
 *
 * The failure mode: environment variable STUB_IDREADER_MODE (read when the library is
 * loaded) or stub_set_mode(name) at any time:
 *
 *   normal            the card answers as it should
 *   fail_open         SDT_OpenPort fails (0x01: no reader on that port)
 *   fail_read         SDT_ReadBaseMsg fails (0x41)
 *   auth_fail         the security module refuses the card (0x33)
 *   sam_fail          the security module failed its self-test (0x60): SDT_ReadBaseMsg and
 *                     SDT_GetSAMIDToStr
 *   sam_unauthorized  the security module is not authorised (0x66): the same calls
 *   unknown_card      SDT_SelectIDCard: not an ID card (0x40)
 *   removed_mid_read  the card leaves between find and select (0x81), then is gone
 *   hang_find         SDT_StartFindIDCard does not return until the mode changes
 *   hang_read         SDT_ReadBaseMsg does not return until the mode changes
 *   hang_sam          SDT_GetSAMIDToStr does not return until the mode changes
 *   garbage_encoding  the name field holds a lone UTF-16 surrogate
 *   garbage_control   the name field holds a control character
 *   garbage_length    SDT_ReadBaseMsg claims 300 text bytes (the API allows 256)
 *   short_text        SDT_ReadBaseMsg returns only 100 text bytes
 *   short_photo       SDT_ReadBaseMsg returns only 512 photo bytes (the API says 1024)
 *   photo_corrupt     the photo block is damaged (its hash no longer fits): it does not decode
 *
 * The card on the reader: STUB_IDREADER_PRESENT=1 or stub_set_present(1). Its kind:
 * environment variable STUB_IDREADER_CARD or stub_set_card_kind(name), each with an invented
 * holder and its own photo id (1 to 5, in this order):
 *
 *   resident_id                         居民身份证, card type ' ' (the demo resident zhang_wei)
 *   hmt_residence_permit                港澳台居民居住证, card type 'J' (a Hong Kong resident)
 *   foreign_permanent_resident          外国人永久居留身份证, 2023 kind, type 'Y', 18-char number
 *   foreign_permanent_resident_pre2023  the same card, pre-2023 kind, type 'I', 15-char number
 *   unknown_document                    a resident ID's fields with card type 'Z'
 *
 * stub_set_card(block, 256) replaces the holder block with any block (an expired card, a
 * changed holder: the card type is the UCS-2 character at byte 248 of the block). The layouts
 * are the ones devices/vendor_reader.py documents. stub_set_photo_id(id) (or
 * STUB_IDREADER_PHOTO_ID) changes the photo id the photo block carries: an id the decoder
 * has no photo for plays "no photo known" (the decoder makes a synthetic face-free bitmap).
 * stub_set_sam_id(text) (or STUB_IDREADER_SAM_ID) sets the SAM id, by default
 * "05.01-20101111-0012345678". stub_reset() puts everything back to the defaults (not the
 * environment's); stub_calls() and stub_sam_calls() count the API calls made.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uchar.h>

enum mode {
    NORMAL, FAIL_OPEN, FAIL_READ, AUTH_FAIL, SAM_FAIL, SAM_UNAUTHORIZED, UNKNOWN_CARD,
    REMOVED_MID_READ, HANG_FIND, HANG_READ, HANG_SAM, GARBAGE_ENCODING, GARBAGE_CONTROL,
    GARBAGE_LENGTH, SHORT_TEXT, SHORT_PHOTO, PHOTO_CORRUPT
};
static const char *const MODE_NAMES[] = {
    "normal", "fail_open", "fail_read", "auth_fail", "sam_fail", "sam_unauthorized",
    "unknown_card", "removed_mid_read", "hang_find", "hang_read", "hang_sam",
    "garbage_encoding", "garbage_control", "garbage_length", "short_text", "short_photo",
    "photo_corrupt"
};
#define MODE_COUNT (sizeof MODE_NAMES / sizeof MODE_NAMES[0])

enum kind {
    RESIDENT_ID, HMT_RESIDENCE_PERMIT, FOREIGN_PERMANENT_RESIDENT,
    FOREIGN_PERMANENT_RESIDENT_PRE2023, UNKNOWN_DOCUMENT
};
static const char *const KIND_NAMES[] = {
    "resident_id", "hmt_residence_permit", "foreign_permanent_resident",
    "foreign_permanent_resident_pre2023", "unknown_document"
};
#define KIND_COUNT (sizeof KIND_NAMES / sizeof KIND_NAMES[0])

#define TEXT_LEN 256
#define PHOTO_LEN 1024
#define TYPE_OFFSET 248
#define SAM_ID_MAX 64
#define DEFAULT_SAM_ID "05.01-20101111-0012345678"
static const unsigned char PHOTO_MAGIC[8] = {'S', 'I', 'M', 'W', 'L', 'T', '0', '1'};

static volatile int g_mode = NORMAL;
static volatile int g_present = 0;
static volatile int g_port_open = 0;
static volatile int g_calls = 0;
static volatile int g_sam_calls = 0;
static volatile uint32_t g_photo_id = 1;
static unsigned char g_text[TEXT_LEN];
static char g_sam_id[SAM_ID_MAX + 1] = DEFAULT_SAM_ID;

/* ---- holder blocks ---- */

/* Write a UTF-16 string into a fixed-width field, padded with spaces (as readers do). */
static unsigned char *put_field(unsigned char *field, size_t width, const char16_t *text) {
    size_t i = 0;
    for (; text[i] != 0 && 2 * i + 1 < width; i++) {
        field[2 * i] = (unsigned char)(text[i] & 0xFF);
        field[2 * i + 1] = (unsigned char)(text[i] >> 8);
    }
    for (; 2 * i + 1 < width; i++) {
        field[2 * i] = 0x20;
        field[2 * i + 1] = 0x00;
    }
    return field + width;
}

/* Spaces everywhere, then the card type at byte 248. */
static void blank_block(const char16_t *card_type) {
    put_field(g_text, TEXT_LEN, u"");
    put_field(g_text + TYPE_OFFSET, 2, card_type);
}

static void resident_card(const char16_t *card_type) {
    unsigned char *p = g_text;
    blank_block(card_type);
    p = put_field(p, 30, u"张伟");
    p = put_field(p, 2, u"1");
    p = put_field(p, 4, u"01");
    p = put_field(p, 16, u"19870315");
    p = put_field(p, 70, u"江苏省镇江市京口区学府路88号");
    p = put_field(p, 36, u"321102198703150014");
    p = put_field(p, 30, u"镇江市公安局京口分局");
    p = put_field(p, 16, u"20190601");
    put_field(p, 16, u"20390601");
}

static void hmt_card(void) {
    unsigned char *p = g_text;
    blank_block(u"J");
    p = put_field(p, 30, u"陈嘉欣");
    p = put_field(p, 2, u"2");
    p = put_field(p, 4, u""); /* reserved: no ethnicity on this card */
    p = put_field(p, 16, u"19900512");
    p = put_field(p, 70, u"广东省深圳市福田区福华三路100号");
    p = put_field(p, 36, u"810000199005120020");
    p = put_field(p, 30, u"深圳市公安局");
    p = put_field(p, 16, u"20240301");
    p = put_field(p, 16, u"20290301");
    p = put_field(p, 18, u"H12345678"); /* the travel permit's number */
    put_field(p, 4, u"01");             /* times issued */
}

static void foreign_card(int pre2023) {
    unsigned char *p = g_text;
    blank_block(pre2023 ? u"I" : u"Y");
    p = put_field(p, 120, u"ANDERSEN, LINNEA");
    p = put_field(p, 2, u"2");
    if (pre2023) {
        p = put_field(p, 30, u"DNK110085072602");
    } else {
        p = put_field(p, 36, u"911208198507260025");
    }
    p = put_field(p, 6, u"DNK");
    p = put_field(p, 30, u"安琳娜");
    p = put_field(p, 16, pre2023 ? u"20170601" : u"20240115");
    p = put_field(p, 16, pre2023 ? u"20270601" : u"20340115");
    p = put_field(p, 16, u"19850726");
    if (pre2023) {
        p = put_field(p, 4, u"01");   /* card version */
        put_field(p, 8, u"1100");     /* code of the authority that took the application */
    }
}

static void set_kind(int kind) {
    switch (kind) {
    case HMT_RESIDENCE_PERMIT: hmt_card(); break;
    case FOREIGN_PERMANENT_RESIDENT: foreign_card(0); break;
    case FOREIGN_PERMANENT_RESIDENT_PRE2023: foreign_card(1); break;
    case UNKNOWN_DOCUMENT: resident_card(u"Z"); break;
    default: resident_card(u" "); break;
    }
    g_photo_id = (uint32_t)kind + 1;
}

/* ---- the stand-in photo block ---- */

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

static void photo_block(unsigned char *out, uint32_t id) {
    memcpy(out, PHOTO_MAGIC, sizeof PHOTO_MAGIC);
    put_le32(out + 8, id);
    uint32_t x = (id * 2654435761u) ^ 0x57AC3D1Fu;
    if (x == 0) x = 1;
    for (size_t i = 12; i < PHOTO_LEN - 4; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (unsigned char)(x & 0xFF);
    }
    put_le32(out + PHOTO_LEN - 4, fnv1a(out, PHOTO_LEN - 4));
}

/* ---- test controls ---- */

static int index_of(const char *name, const char *const *names, size_t count) {
    for (size_t i = 0; name != NULL && i < count; i++) {
        if (strcmp(name, names[i]) == 0) return (int)i;
    }
    return -1;
}

int stub_set_mode(const char *name) {
    int mode = index_of(name, MODE_NAMES, MODE_COUNT);
    if (mode < 0) return -1;
    g_mode = mode;
    return 0;
}

void stub_set_present(int present) { g_present = present; }

int stub_set_card_kind(const char *name) {
    int kind = index_of(name, KIND_NAMES, KIND_COUNT);
    if (kind < 0) return -1;
    set_kind(kind);
    return 0;
}

int stub_set_card(const unsigned char *block, int len) {
    if (block == NULL || len != TEXT_LEN) return -1;
    memcpy(g_text, block, TEXT_LEN);
    return 0;
}

void stub_set_photo_id(unsigned int id) { g_photo_id = id; }

int stub_set_sam_id(const char *sam_id) {
    if (sam_id == NULL || strlen(sam_id) > SAM_ID_MAX) return -1;
    strcpy(g_sam_id, sam_id);
    return 0;
}

void stub_reset(void) {
    g_mode = NORMAL;
    g_present = 0;
    g_port_open = 0;
    g_calls = 0;
    g_sam_calls = 0;
    set_kind(RESIDENT_ID);
    strcpy(g_sam_id, DEFAULT_SAM_ID);
}

int stub_calls(void) { return g_calls; }

int stub_sam_calls(void) { return g_sam_calls; }

__attribute__((constructor)) static void stub_load(void) {
    stub_reset();
    int mode = index_of(getenv("STUB_IDREADER_MODE"), MODE_NAMES, MODE_COUNT);
    g_mode = mode < 0 ? NORMAL : mode;
    const char *present = getenv("STUB_IDREADER_PRESENT");
    g_present = present != NULL && strcmp(present, "1") == 0;
    int kind = index_of(getenv("STUB_IDREADER_CARD"), KIND_NAMES, KIND_COUNT);
    if (kind >= 0) set_kind(kind);
    const char *photo_id = getenv("STUB_IDREADER_PHOTO_ID");
    if (photo_id != NULL && *photo_id != '\0') {
        g_photo_id = (uint32_t)strtoul(photo_id, NULL, 10);
    }
    const char *sam_id = getenv("STUB_IDREADER_SAM_ID");
    if (sam_id != NULL) stub_set_sam_id(sam_id);
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the sdtapi-style API ---- */

int SDT_OpenPort(int port) {
    g_calls++;
    if (g_mode == FAIL_OPEN || port <= 0) return 0x01;
    g_port_open = 1;
    return 0x90;
}

int SDT_ClosePort(int port) {
    (void)port;
    g_calls++;
    g_port_open = 0;
    return 0x90;
}

int SDT_StartFindIDCard(int port, unsigned char *mana_info, int if_open) {
    (void)port; (void)if_open;
    g_calls++;
    while (g_mode == HANG_FIND) pause_ms(1); /* "hung" until a test changes the mode */
    if (!g_port_open) return 0x02;
    if (!g_present) return 0x80;
    memset(mana_info, 0, 4);
    return 0x9F;
}

int SDT_SelectIDCard(int port, unsigned char *mana_msg, int if_open) {
    (void)port; (void)if_open;
    g_calls++;
    if (!g_port_open) return 0x02;
    if (g_mode == REMOVED_MID_READ) {
        g_present = 0;
        return 0x81;
    }
    if (!g_present) return 0x81;
    if (g_mode == UNKNOWN_CARD) return 0x40;
    memset(mana_msg, 0, 8);
    return 0x90;
}

int SDT_ReadBaseMsg(int port, unsigned char *text, unsigned int *text_len,
                    unsigned char *photo, unsigned int *photo_len, int if_open) {
    (void)port; (void)if_open;
    g_calls++;
    while (g_mode == HANG_READ) pause_ms(1);
    if (!g_port_open) return 0x02;
    if (!g_present) return 0x41;
    switch (g_mode) {
    case FAIL_READ: return 0x41;
    case AUTH_FAIL: return 0x33;
    case SAM_FAIL: return 0x60;
    case SAM_UNAUTHORIZED: return 0x66;
    default: break;
    }
    memcpy(text, g_text, TEXT_LEN);
    photo_block(photo, g_photo_id);
    *text_len = TEXT_LEN;
    *photo_len = PHOTO_LEN;
    switch (g_mode) {
    case GARBAGE_ENCODING: text[0] = 0x00; text[1] = 0xD8; break; /* lone high surrogate */
    case GARBAGE_CONTROL: text[2] = 0x01; text[3] = 0x00; break;
    case GARBAGE_LENGTH: *text_len = 300; break;
    case SHORT_TEXT: *text_len = 100; break;
    case SHORT_PHOTO: *photo_len = 512; break;
    case PHOTO_CORRUPT: photo[500] ^= 0x5A; break;
    default: break;
    }
    return 0x90;
}

#ifndef SDTAPI_STUB_WITHOUT_SAMID
int SDT_GetSAMIDToStr(int port, char *samid, int if_open) {
    g_calls++;
    g_sam_calls++;
    while (g_mode == HANG_SAM) pause_ms(1);
    if (if_open) {
        if (g_mode == FAIL_OPEN || port <= 0) return 0x01;
    } else if (!g_port_open) {
        return 0x02;
    }
    int status = 0x90;
    if (g_mode == SAM_FAIL) {
        status = 0x60;
    } else if (g_mode == SAM_UNAUTHORIZED) {
        status = 0x66;
    } else {
        strcpy(samid, g_sam_id);
    }
    if (if_open) g_port_open = 0; /* it opened the port itself: it closes it again */
    return status;
}
#endif
