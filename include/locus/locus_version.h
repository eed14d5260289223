/* The one place the Locus version lives. CMake reads these three lines; C code includes this header
 * (through locus.h) for LOCUS_VERSION_STRING and the numeric comparisons. */
#ifndef LOCUS_VERSION_H
#define LOCUS_VERSION_H

#define LOCUS_VERSION_MAJOR 0
#define LOCUS_VERSION_MINOR 1
#define LOCUS_VERSION_PATCH 0

#define LOCUS_VERSION_STR_(x) #x
#define LOCUS_VERSION_STR(x) LOCUS_VERSION_STR_(x)
#define LOCUS_VERSION_STRING                                                                       \
    LOCUS_VERSION_STR(LOCUS_VERSION_MAJOR)                                                         \
    "." LOCUS_VERSION_STR(LOCUS_VERSION_MINOR) "." LOCUS_VERSION_STR(LOCUS_VERSION_PATCH)
/* One integer for ordered comparisons: 0x00MMmmpp. */
#define LOCUS_VERSION_NUM                                                                          \
    ((LOCUS_VERSION_MAJOR << 16) | (LOCUS_VERSION_MINOR << 8) | LOCUS_VERSION_PATCH)

#endif
