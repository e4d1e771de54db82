{
  # The addon, built for any CPU of its architecture, and the hand-vectorised kernels
  # (fewconv_kernels.cc, tiledconv_kernels.cc) built once per CPU tier with that tier's target
  # flags (native/cpu_tier.h chooses one when the addon loads; native/simd.h gives each its
  # own namespace). The kernels are built with floating-point contraction (fused
  # multiply-adds where the tier has them); the rest of the addon without.
  "targets": [
    {
      "target_name": "onednn",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/runtime.cc",
        "native/cpu_tier.cc",
        "native/conv.cc",
        "native/fewconv.cc",
        "native/tiledconv.cc",
        "native/matmul.cc",
        "native/eltwise.cc",
        "native/reduce.cc",
        "native/batchnorm.cc",
        "native/optimizer.cc",
        "native/layout.cc"
      ],
      "dependencies": ["kernels_generic"],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["kernels_avx512", "kernels_avx2"]}]
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++20", "-O3", "-fopenmp", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off"],
      "include_dirs": ["<!@(node scripts/find-onednn.mjs include)"],
      "libraries": ["<!@(node scripts/find-onednn.mjs libs)", "-fopenmp"]
    },
    {
      "target_name": "kernels_generic",
      "type": "static_library",
      "sources": ["native/fewconv_kernels.cc", "native/tiledconv_kernels.cc"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++20", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-Wno-psabi"],
      "include_dirs": ["<!@(node scripts/find-onednn.mjs include)"]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "kernels_avx512",
          "type": "static_library",
          "sources": ["native/fewconv_kernels.cc", "native/tiledconv_kernels.cc"],
          "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
          "cflags_cc": ["-std=c++20", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-Wno-psabi",
                        "-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw", "-mavx2", "-mfma"],
          "include_dirs": ["<!@(node scripts/find-onednn.mjs include)"]
        },
        {
          "target_name": "kernels_avx2",
          "type": "static_library",
          "sources": ["native/fewconv_kernels.cc", "native/tiledconv_kernels.cc"],
          "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
          "cflags_cc": ["-std=c++20", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-Wno-psabi",
                        "-mavx2", "-mfma"],
          "include_dirs": ["<!@(node scripts/find-onednn.mjs include)"]
        }
      ]
    }]
  ]
}
