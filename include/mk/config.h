// Compiler portability: MK_HD marks functions shared by host and device code.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define MK_HD __host__ __device__
#define MK_DEVICE_COMPILE 1
#else
#define MK_HD
#define MK_DEVICE_COMPILE 0
#endif

#if defined(__CUDA_ARCH__)
#define MK_ON_DEVICE 1
#else
#define MK_ON_DEVICE 0
#endif
