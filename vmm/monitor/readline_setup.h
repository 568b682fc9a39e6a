/* Readline settings the (vmm) prompt and the socket client share. */
#ifndef VMM_MONITOR_READLINE_SETUP_H
#define VMM_MONITOR_READLINE_SETUP_H

/* Names the program for ~/.inputrc, completes commands, bounds the history. */
void monitor_readline_setup(void);

#endif
