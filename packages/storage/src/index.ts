export const packageName = '@wukong/storage';
