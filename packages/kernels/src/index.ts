export const packageName = '@wukong/kernels';
