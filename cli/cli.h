#ifndef GROWTH_CLI_H
#define GROWTH_CLI_H

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

/* Prints "growth: WHAT: <last error> (<status>)" to stderr and returns CLI_EXIT_FAILED. */
int cli_fail(const char *what, int rc);

int cli_demo(int argc, char **argv);
int cli_audience(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_calibrate(int argc, char **argv);
int cli_budget(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_predict(int argc, char **argv);

#endif
