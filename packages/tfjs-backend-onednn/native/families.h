// One registration function per kernel family; addon.cc calls them all.
#pragma once

#include <node_api.h>

namespace onednn_addon {

void RegisterConv(napi_env env, napi_value exports);
void RegisterMatmul(napi_env env, napi_value exports);
void RegisterEltwise(napi_env env, napi_value exports);
void RegisterReduce(napi_env env, napi_value exports);
void RegisterBatchnorm(napi_env env, napi_value exports);
void RegisterOptimizer(napi_env env, napi_value exports);
void RegisterLayout(napi_env env, napi_value exports);

void ClearConvCache();

}  // namespace onednn_addon
