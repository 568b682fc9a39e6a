/*
 * Reading the payload's --cmdline text, shared by the payloads of every
 * architecture (freestanding: no libc).
 */
#ifndef FIRMWARE_CMDLINE_H
#define FIRMWARE_CMDLINE_H

/* The first character after word in text, or 0 when word is absent. */
static inline const char *cmdline_find(const char *text, const char *word)
{
	for (; *text; text++) {
		int i = 0;
		while (word[i] && text[i] == word[i])
			i++;
		if (!word[i])
			return text + i;
	}
	return 0;
}

/* The N of "exit=N" in text (its low 8 bits); -1 when there is none. */
static inline int cmdline_exit_status(const char *text)
{
	const char *p = cmdline_find(text, "exit=");
	unsigned value = 0;
	if (!p)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		value = value * 10 + (unsigned)(*p - '0');
	return (int)(value & 0xff);
}

#endif
