#include <stdio.h>
#include "cli.h"
int cli_demo(int argc, char **argv) { (void)argc; (void)argv; printf("demo: not yet\n"); return 0; }
