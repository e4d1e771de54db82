{
  "targets": [
    {
      "target_name": "onednn",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/runtime.cc",
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
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++20", "-O3", "-fopenmp", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off"],
      "include_dirs": ["<!@(node scripts/find-onednn.mjs include)"],
      "libraries": ["<!@(node scripts/find-onednn.mjs libs)", "-fopenmp"]
    }
  ]
}
