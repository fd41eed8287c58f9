export const packageName = '@wukong/graph';
