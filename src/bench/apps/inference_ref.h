/* Shared by the C and Fortran inference apps: the fixed synthetic image every rank sends, and the in-process
 * reference its answer is checked against: the same image through the same script and model, run by the
 * Torch backend shim (locus_torch.so, dlopen'ed) in this process, with no database in between. */
#ifndef LOCUS_BENCH_INFERENCE_REF_H
#define LOCUS_BENCH_INFERENCE_REF_H

#include <stddef.h>

#define BENCH_IMAGE_H 224
#define BENCH_IMAGE_W 224
#define BENCH_IMAGE_C 3
#define BENCH_CLASSES 1000

/* Fills image (224*224*3 floats, values 0..255) with the test image: element (h, w, c) at [h][w][c] (C order)
 * or, with fortran_order, at image(h, w, c) of a Fortran array of shape (224, 224, 3). */
void bench_make_image(float *image, int fortran_order);

/* The model's [1,1000] output for the test image, computed in-process: pre_process_3ch of the script at
 * script_path, then the model at model_path, by the backend at `backend`. 0, or -1 with the reason in err. */
int bench_reference(const char *backend, const char *model_path, const char *script_path, float *out,
                    char *err, size_t errlen);

/* Largest absolute difference of n floats (a NaN counts as huge). */
double bench_max_diff(const float *a, const float *b, int n);

#endif
