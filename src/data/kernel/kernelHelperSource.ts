// The Python half of KernelDatasetSource: installed once per kernel process as a module in
// sys.modules (never in the user's namespace), then called by silent, history-less requests
// (user_expressions) with the user's globals and a JSON request. pandas and polars do the work
// inside the kernel: filters are boolean masks over the whole frame (AND), sorts are stable with
// nulls last in both directions, and the resulting row positions are cached per source handle,
// keyed by (variable, object id, execution count, view), so paging never sorts again. Only the
// requested slice, summary or label balance is sent back, as JSON-safe cells.
// numpy arrays are viewed as a pandas DataFrame without a copy (pandas is imported if it is not).

import { KERNEL_HELPER_COMMON } from './kernelHelperSourceCommon';
import { KERNEL_HELPER_PANDAS } from './kernelHelperSourcePandas';
import { KERNEL_HELPER_POLARS } from './kernelHelperSourcePolars';

/**
 * The module's Python: the common part, then pandas (with numpy), then polars, in this order: the
 * text's hash names the module in the kernel (kernelHelper.ts HELPER_MODULE).
 */
export const KERNEL_HELPER_SOURCE = KERNEL_HELPER_COMMON + KERNEL_HELPER_PANDAS + KERNEL_HELPER_POLARS;
