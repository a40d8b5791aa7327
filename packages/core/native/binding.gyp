{
  "targets": [
    {
      "target_name": "llm_kernels",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/copy.cc", "src/fused.cc", "src/lstm.cc", "src/transformer.cc"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++14"],
      "cflags": ["-O3", "-pthread", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
      "cflags_cc": ["-O3", "-std=c++17", "-pthread", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
