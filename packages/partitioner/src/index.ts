export const packageName = '@wukong/partitioner';
