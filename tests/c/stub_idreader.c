/*
 * A stand-in for a certified ID reader's sdtapi-style vendor library, for the tests of
 * devices/vendor_reader.py. Compiled by the tests with gcc into a temporary directory:
 *
 *     gcc -shared -fPIC -std=c11 -O1 -o libstub_idreader.so stub_idreader.c
 *
 * What it does is chosen by the environment variable STUB_IDREADER_MODE (read when the
 * library is loaded) or at any time with stub_set_mode(); whether a card lies on the reader
 * with stub_set_present() (or STUB_IDREADER_PRESENT=1). Modes:
 *
 *   normal            a genuine card: its holder text block (UCS-2LE, fixed-width fields)
 *   fail_open         SDT_OpenPort fails (0x01: no reader on that port)
 *   fail_read         SDT_ReadBaseMsg fails (0x41)
 *   auth_fail         the security module refuses the card (0x33)
 *   unknown_card      SDT_SelectIDCard: not an ID card (0x40)
 *   removed_mid_read  the card leaves between find and select (0x81), then is gone
 *   hang_find         SDT_StartFindIDCard does not return until the mode changes
 *   hang_read         SDT_ReadBaseMsg does not return until the mode changes
 *   garbage_encoding  the name field holds a lone UTF-16 surrogate
 *   garbage_control   the name field holds a control character
 *   garbage_length    SDT_ReadBaseMsg claims 300 text bytes (the API allows 256)
 *   short_text        SDT_ReadBaseMsg returns only 100 text bytes
 *
 * stub_set_card() replaces the holder block; by default it is the demo resident zhang_wei.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uchar.h>

enum mode {
    NORMAL, FAIL_OPEN, FAIL_READ, AUTH_FAIL, UNKNOWN_CARD, REMOVED_MID_READ, HANG_FIND,
    HANG_READ, GARBAGE_ENCODING, GARBAGE_CONTROL, GARBAGE_LENGTH, SHORT_TEXT
};
static const char *const MODE_NAMES[] = {
    "normal", "fail_open", "fail_read", "auth_fail", "unknown_card", "removed_mid_read",
    "hang_find", "hang_read", "garbage_encoding", "garbage_control", "garbage_length",
    "short_text"
};
#define MODE_COUNT (sizeof MODE_NAMES / sizeof MODE_NAMES[0])

#define TEXT_LEN 256
#define PHOTO_LEN 1024

static volatile int g_mode = NORMAL;
static volatile int g_present = 0;
static volatile int g_port_open = 0;
static volatile int g_calls = 0;
static unsigned char g_text[TEXT_LEN];

/* Write a UTF-16 string into a fixed-width field, padded with spaces (as readers do). */
static void put_field(unsigned char *field, size_t width, const char16_t *text) {
    size_t i = 0;
    for (; text[i] != 0 && 2 * i + 1 < width; i++) {
        field[2 * i] = (unsigned char)(text[i] & 0xFF);
        field[2 * i + 1] = (unsigned char)(text[i] >> 8);
    }
    for (; 2 * i + 1 < width; i++) {
        field[2 * i] = 0x20;
        field[2 * i + 1] = 0x00;
    }
}

static void default_card(void) {
    unsigned char *p = g_text;
    memset(g_text, 0x20, sizeof g_text);
    put_field(p, 30, u"张伟"); p += 30;
    put_field(p, 2, u"1"); p += 2;
    put_field(p, 4, u"01"); p += 4;
    put_field(p, 16, u"19870315"); p += 16;
    put_field(p, 70, u"江苏省镇江市京口区学府路88号"); p += 70;
    put_field(p, 36, u"321102198703150014"); p += 36;
    put_field(p, 30, u"镇江市公安局京口分局"); p += 30;
    put_field(p, 16, u"20190601"); p += 16;
    put_field(p, 16, u"20390601");
}

static int mode_from_name(const char *name) {
    for (size_t i = 0; name != NULL && i < MODE_COUNT; i++) {
        if (strcmp(name, MODE_NAMES[i]) == 0) return (int)i;
    }
    return -1;
}

__attribute__((constructor)) static void stub_load(void) {
    default_card();
    int mode = mode_from_name(getenv("STUB_IDREADER_MODE"));
    g_mode = mode < 0 ? NORMAL : mode;
    const char *present = getenv("STUB_IDREADER_PRESENT");
    g_present = present != NULL && strcmp(present, "1") == 0;
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- test controls ---- */

int stub_set_mode(const char *name) {
    int mode = mode_from_name(name);
    if (mode < 0) return -1;
    g_mode = mode;
    return 0;
}

void stub_set_present(int present) { g_present = present; }

int stub_set_card(const unsigned char *block, int len) {
    if (len != TEXT_LEN) return -1;
    memcpy(g_text, block, TEXT_LEN);
    return 0;
}

void stub_reset(void) {
    g_mode = NORMAL;
    g_present = 0;
    g_port_open = 0;
    g_calls = 0;
    default_card();
}

int stub_calls(void) { return g_calls; }

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
    default: break;
    }
    memcpy(text, g_text, TEXT_LEN);
    memset(photo, 0x57, PHOTO_LEN); /* stands for the WLT-encoded photo */
    *text_len = TEXT_LEN;
    *photo_len = PHOTO_LEN;
    switch (g_mode) {
    case GARBAGE_ENCODING: text[0] = 0x00; text[1] = 0xD8; break; /* lone high surrogate */
    case GARBAGE_CONTROL: text[2] = 0x01; text[3] = 0x00; break;
    case GARBAGE_LENGTH: *text_len = 300; break;
    case SHORT_TEXT: *text_len = 100; break;
    default: break;
    }
    return 0x90;
}
